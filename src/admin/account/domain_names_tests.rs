use super::*;

const ACM: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

fn edge(name: &str) -> DomainName {
    DomainName {
        domain_name: name.into(),
        certificate_arn: Some(ACM.into()),
        ..Default::default()
    }
}

fn regional(name: &str) -> DomainName {
    DomainName {
        domain_name: name.into(),
        regional_certificate_arn: Some(ACM.into()),
        endpoint_configuration: Some(EndpointConfiguration {
            types: vec!["REGIONAL".into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn derived_names_are_deterministic_per_endpoint_type() {
    let mut a = edge("api.example.com");
    validate(&mut a, 5).unwrap();
    let mut b = edge("api.example.com");
    validate(&mut b, 6).unwrap();
    assert_eq!(a.distribution_domain_name, b.distribution_domain_name);
    let dist = a.distribution_domain_name.clone().unwrap();
    assert!(
        dist.starts_with('d')
            && dist.ends_with(".cloudfront.net")
            && dist.len() == "d.cloudfront.net".len() + 13,
        "{dist}"
    );
    assert_eq!(a.security_policy.as_deref(), Some("TLS_1_2"));
    assert_eq!(a.domain_name_status.as_deref(), Some("AVAILABLE"));
    assert_eq!(a.certificate_upload_date, Some(5));
    let mut r = regional("api.example.com");
    validate(&mut r, 5).unwrap();
    let rd = r.regional_domain_name.clone().unwrap();
    assert!(
        rd.starts_with("d-") && rd.ends_with(".execute-api.us-east-1.amazonaws.com"),
        "{rd}"
    );
    assert!(r.distribution_domain_name.is_none());
    let mut other = regional("other.example.com");
    validate(&mut other, 5).unwrap();
    assert_ne!(other.regional_domain_name, r.regional_domain_name);
}

#[test]
fn invalid_domains_are_refused() {
    let cases = [
        edge("nodot"),
        edge("UPPER.example.com"),
        edge("-a.example.com"),
        edge(&format!("{}.com", "a".repeat(64))),
        DomainName {
            certificate_arn: None,
            ..edge("a.example.com")
        },
        DomainName {
            certificate_arn: Some("arn:aws:iam::1:x".into()),
            ..edge("a.example.com")
        },
        DomainName {
            regional_certificate_arn: None,
            ..regional("a.example.com")
        },
        DomainName {
            security_policy: Some("TLS_9".into()),
            ..edge("a.example.com")
        },
        DomainName {
            endpoint_configuration: Some(EndpointConfiguration {
                types: vec!["PRIVATE".into()],
                ..Default::default()
            }),
            ..edge("a.example.com")
        },
    ];
    for (i, mut d) in cases.into_iter().enumerate() {
        assert_eq!(validate(&mut d, 0).unwrap_err().parts().0, 400, "case {i}");
    }
    let mut w = edge("*.example.com");
    validate(&mut w, 0).unwrap();
    let mut uploaded = DomainName {
        certificate_arn: None,
        certificate_body: Some("b".into()),
        certificate_private_key: Some("k".into()),
        ..edge("u.example.com")
    };
    validate(&mut uploaded, 0).unwrap();
    let out = domain_out(&uploaded);
    assert!(out.get("certificatePrivateKey").is_none() && out.get("certificateBody").is_none());
}

#[test]
fn update_switches_endpoint_type_and_rederives() {
    let mut d = edge("api.example.com");
    validate(&mut d, 1).unwrap();
    let ops = patch::parse(format!(r#"{{"patchOperations":[{{"op":"replace","path":"/endpointConfiguration/types/0","value":"REGIONAL"}},{{"op":"replace","path":"/certificateArn","value":""}},{{"op":"replace","path":"/regionalCertificateArn","value":"{ACM}"}}]}}"#).as_bytes()).unwrap();
    let u = update_domain(&d, &ops, 2).unwrap();
    assert!(u.regional_domain_name.is_some() && u.distribution_domain_name.is_none());
    assert_eq!(u.certificate_upload_date, Some(2));
    let half = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/endpointConfiguration/types/0","value":"REGIONAL"}]}"#).unwrap();
    assert_eq!(update_domain(&d, &half, 2).unwrap_err().parts().0, 400);
}

#[test]
fn base_paths() {
    assert_eq!(normalise_base_path(None).unwrap(), "(none)");
    assert_eq!(normalise_base_path(Some("")).unwrap(), "(none)");
    assert_eq!(normalise_base_path(Some("v1/orders")).unwrap(), "v1/orders");
    for bad in ["/v1", "v1/", "a b", "a//b", "é"] {
        assert!(normalise_base_path(Some(bad)).is_err(), "{bad}");
    }
    assert!(check_none_exclusive(&[], "(none)").is_ok());
    assert_eq!(
        check_none_exclusive(&["v1".into()], "v1")
            .unwrap_err()
            .parts()
            .0,
        409
    );
    assert_eq!(
        check_none_exclusive(&["v1".into()], "(none)")
            .unwrap_err()
            .parts()
            .0,
        400
    );
    assert_eq!(
        check_none_exclusive(&["(none)".into()], "v2")
            .unwrap_err()
            .parts()
            .0,
        400
    );
    let m = BasePathMapping {
        base_path: Some("v1".into()),
        rest_api_id: Some("a".into()),
        stage: None,
    };
    let ops = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/basePath","value":""},{"op":"replace","path":"/stage","value":"prod"}]}"#).unwrap();
    let u = update_mapping(&m, &ops).unwrap();
    assert_eq!(
        (u.base_path.as_deref(), u.stage.as_deref()),
        (Some("(none)"), Some("prod"))
    );
}
