//! A worker's log buffer: finished access and execution log lines are appended to the block in
//! hand; a full block goes to the writer thread (`runtime::access_log`) and an empty one is taken
//! from the core's free channel. No lock, no allocation, no I/O: when no empty block is there
//! (the writer is behind) the line is dropped and counted. The worker's tick sends a block that
//! has lines but is not full, so a quiet gateway's lines appear within a tick.
//!
//! An access log line is rendered when the response is decided (the exchange is still there),
//! into a `Pending` whose `responseLatency` places are left open; `complete` fills them once the
//! response is out (a relayed stream included) and appends the line.

use crate::runtime::access_log::{self as hub, Block, CoreChannels, DestId};
use std::cell::RefCell;

/// `responseLatency` places one line may have (more are written at render time).
pub const HOLES: usize = 4;

/// A rendered line waiting for its response to end.
pub struct Pending {
    pub dest: DestId,
    pub line: Vec<u8>,
    /// Byte offsets in `line` where the response latency (ms) goes.
    pub holes: [u32; HOLES],
    pub n_holes: u8,
}

/// A `Pending` line held by the core (what `Outcome` carries: a small handle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingId(u32);

pub struct CoreLog {
    ch: Option<CoreChannels>,
    block: RefCell<Vec<u8>>,
    /// Spare line buffers for `Pending` (given back by `complete`).
    spare: RefCell<Vec<Vec<u8>>>,
    /// Lines whose responses are still going out (a slot per request in flight, reused).
    pending: RefCell<Vec<Option<Pending>>>,
}

impl Default for CoreLog {
    /// Inert: lines go nowhere (TestInvoke's and tests' cores).
    fn default() -> CoreLog {
        CoreLog {
            ch: None,
            block: RefCell::new(Vec::new()),
            spare: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
        }
    }
}

impl CoreLog {
    /// A worker's: registers with the process's log hub (inert when there is none).
    pub fn register() -> CoreLog {
        let (ch, block) = match hub::register_core() {
            Some((ch, block)) => (Some(ch), block),
            None => (None, Vec::new()),
        };
        CoreLog {
            ch,
            block: RefCell::new(block),
            spare: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
        }
    }

    /// Whether lines go anywhere (a hub is installed).
    #[inline]
    pub fn on(&self) -> bool {
        self.ch.is_some()
    }

    /// A cleared line buffer (reused once the core has served a few lines).
    pub fn line_buf(&self) -> Vec<u8> {
        let mut b = self.spare.borrow_mut().pop().unwrap_or_default();
        b.clear();
        b
    }

    /// Gives back a buffer `line_buf` lent.
    pub fn put_back(&self, buf: Vec<u8>) {
        self.keep(buf);
    }

    fn keep(&self, buf: Vec<u8>) {
        let mut spare = self.spare.borrow_mut();
        if spare.len() < 64 && buf.capacity() <= 16 * 1024 {
            spare.push(buf);
        }
    }

    /// Keeps `p` until its response is out.
    pub fn hold(&self, p: Pending) -> PendingId {
        let mut slots = self.pending.borrow_mut();
        if let Some(i) = slots.iter().position(Option::is_none) {
            slots[i] = Some(p);
            return PendingId(i as u32);
        }
        slots.push(Some(p));
        PendingId(slots.len() as u32 - 1)
    }

    /// Appends the held line with `latency_ms` in its holes.
    pub fn complete(&self, id: PendingId, latency_ms: u64) {
        let p = self
            .pending
            .borrow_mut()
            .get_mut(id.0 as usize)
            .and_then(Option::take);
        if let Some(p) = p {
            self.complete_line(p, latency_ms);
        }
    }

    /// Appends `p`'s line with `latency_ms` in its holes, and keeps its buffer for the next.
    pub fn complete_line(&self, p: Pending, latency_ms: u64) {
        let digits = itoa_buf(latency_ms);
        let d = digits.as_slice();
        let extra = d.len() * p.n_holes as usize;
        let line = &p.line;
        self.append(p.dest, line.len() + extra, |out| {
            let mut at = 0;
            for &h in &p.holes[..p.n_holes as usize] {
                let h = h as usize;
                out.extend_from_slice(&line[at..h]);
                out.extend_from_slice(d);
                at = h;
            }
            out.extend_from_slice(&line[at..]);
        });
        self.keep(p.line);
    }

    /// Appends one line (execution logs).
    pub fn line(&self, dest: DestId, line: &[u8]) {
        self.append(dest, line.len(), |out| out.extend_from_slice(line));
    }

    /// Appends a record of `len` bytes written by `write`, or drops it (and counts it).
    fn append(&self, dest: DestId, len: usize, write: impl FnOnce(&mut Vec<u8>)) {
        let Some(ch) = &self.ch else { return };
        let need = len + 8;
        if need > ch.block_bytes {
            hub::count_dropped(1);
            return;
        }
        let mut block = self.block.borrow_mut();
        if block.capacity() - block.len() < need && !self.swap(ch, &mut block) {
            hub::count_dropped(1);
            return;
        }
        block.extend_from_slice(&dest.0.to_le_bytes());
        block.extend_from_slice(&(len as u32).to_le_bytes());
        let start = block.len();
        write(&mut block);
        debug_assert_eq!(block.len() - start, len);
    }

    /// Sends the block in hand (if it has lines) and takes an empty one; false when none is free.
    fn swap(&self, ch: &CoreChannels, block: &mut Vec<u8>) -> bool {
        if block.is_empty() {
            return true;
        }
        let Ok(empty) = ch.free.try_recv() else {
            return false;
        };
        let full = std::mem::replace(block, empty);
        // The writer's queue holds every block there is, so this cannot fail; if it ever did,
        // the lines are lost and the block is freed.
        let _ = ch.to_writer.try_send(Block {
            core: ch.core,
            buf: full,
        });
        true
    }

    /// The tick: sends a block with lines in it, so they are written within a tick.
    pub fn flush(&self) {
        let Some(ch) = &self.ch else { return };
        let mut block = self.block.borrow_mut();
        if !block.is_empty() {
            self.swap(ch, &mut block);
        }
    }
}

/// A u64's decimal digits, on the stack.
fn itoa_buf(mut v: u64) -> Digits {
    let mut d = Digits {
        buf: [0; 20],
        len: 0,
    };
    let mut tmp = [0u8; 20];
    let mut n = 0;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in 0..n {
        d.buf[i] = tmp[n - 1 - i];
    }
    d.len = n;
    d
}

struct Digits {
    buf: [u8; 20],
    len: usize,
}

impl Digits {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits() {
        for v in [0u64, 7, 10, 12345, u64::MAX] {
            assert_eq!(super::itoa_buf(v).as_slice(), v.to_string().as_bytes());
        }
    }
}
