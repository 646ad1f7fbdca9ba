//! Live capture through libpcap (the `pcap` crate over Debian's libpcap).

use std::os::fd::AsRawFd;

use ::pcap::{Active, Capture};

use super::{Batcher, LiveError, LiveOptions, LiveSource, LiveStats, POLL};
use crate::Record;

/// Packets taken from libpcap in one call.
const BATCH: usize = 1024;

/// A libpcap live capture of one interface.
pub struct Libpcap {
    cap: Capture<Active>,
    interface: String,
    linktype: u32,
    batch: Batcher,
}

impl Libpcap {
    /// Opens `interface`: snaplen, promiscuous mode, non-blocking, then the filter.
    pub fn open(interface: &str, opts: &LiveOptions) -> Result<Self, LiveError> {
        let err = |e: ::pcap::Error| LiveError::Open {
            interface: interface.to_string(),
            message: e.to_string(),
        };
        let cap = Capture::from_device(interface)
            .map_err(err)?
            .promisc(opts.promisc)
            .snaplen(opts.snaplen as i32)
            .buffer_size(64 << 20)
            .immediate_mode(true)
            .open()
            .map_err(err)?;
        let mut cap = cap.setnonblock().map_err(err)?;
        if let Some(f) = opts.bpf.as_deref().filter(|f| !f.trim().is_empty()) {
            cap.filter(f, true).map_err(|e| LiveError::Open {
                interface: interface.to_string(),
                message: format!("bpf '{f}': {e}"),
            })?;
        }
        let linktype = cap.get_datalink().0 as u32;
        Ok(Libpcap {
            cap,
            interface: interface.to_string(),
            linktype,
            batch: Batcher::new(),
        })
    }
}

impl LiveSource for Libpcap {
    fn interface(&self) -> &str {
        &self.interface
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn next_batch(&mut self, out: &mut Vec<Record>) -> Result<(), LiveError> {
        let batch = &mut self.batch;
        let mut read = |cap: &mut Capture<Active>| {
            cap.dispatch(Some(BATCH), |p| {
                batch.push(
                    p.data,
                    p.header.len,
                    p.header.ts.tv_sec as u32,
                    p.header.ts.tv_usec as u32,
                );
            })
        };
        let got = read(&mut self.cap).map_err(|e| LiveError::Read {
            interface: self.interface.clone(),
            message: e.to_string(),
        })?;
        if got == 0 {
            // Nothing waiting: sleep in poll() until packets come or POLL passes.
            let mut pfd = libc::pollfd {
                fd: self.cap.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: `pfd` is a valid pollfd for the capture's open descriptor, and
            // the count passed is 1, the number of entries it points to.
            unsafe {
                libc::poll(&mut pfd, 1, POLL.as_millis() as i32);
            }
            read(&mut self.cap).map_err(|e| LiveError::Read {
                interface: self.interface.clone(),
                message: e.to_string(),
            })?;
        }
        self.batch.drain_into(self.linktype, out);
        Ok(())
    }

    fn stats(&mut self) -> LiveStats {
        match self.cap.stats() {
            Ok(s) => LiveStats {
                received: u64::from(s.received),
                dropped: u64::from(s.dropped),
                if_dropped: u64::from(s.if_dropped),
            },
            Err(_) => LiveStats::default(),
        }
    }
}
