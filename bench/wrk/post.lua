-- wrk script for the mapped route: a JSON POST that passes the request validator's model and is
-- reshaped by the request template (see api-mapped.yaml.tmpl, /mapped).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"dog","price":249.99,"name":"Rex","tags":["good","small"],"owner":{"id":7,"email":"a@example.com"}}'
