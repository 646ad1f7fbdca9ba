//! Live capture from an AF_PACKET socket with a TPACKET_V3 receive ring: the kernel
//! fills blocks of a memory-mapped ring with packets, the reader copies each full
//! (or timed-out) block's packets into one chunk and hands the block back. Several
//! sockets on one interface may share a fanout group (hash of the flow), one per
//! reader thread.
//!
//! The ring and socket calls are the only `unsafe` code here: the kernel's interface
//! is a shared memory region and C socket options.

use std::sync::atomic::{fence, Ordering};

use super::{Batcher, LiveError, LiveOptions, LiveSource, LiveStats, POLL};
use crate::Record;

// linux/if_packet.h and friends (a stable kernel ABI).
const SOL_PACKET: libc::c_int = 263;
const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
const PACKET_RX_RING: libc::c_int = 5;
const PACKET_STATISTICS: libc::c_int = 6;
const PACKET_VERSION: libc::c_int = 10;
const PACKET_FANOUT: libc::c_int = 18;
const TPACKET_V3: libc::c_int = 2;
const PACKET_MR_PROMISC: u16 = 1;
const PACKET_FANOUT_HASH: u32 = 0;
const PACKET_FANOUT_FLAG_DEFRAG: u32 = 0x8000;
const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;
const ETH_P_ALL: u16 = 0x0003;
const SO_ATTACH_FILTER: libc::c_int = 26;
const FRAME_SIZE: u32 = 2048;
/// Milliseconds after which the kernel hands over a block that is not full.
const BLOCK_TIMEOUT_MS: u32 = 50;

#[repr(C)]
struct TpacketReq3 {
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
    retire_blk_tov: u32,
    sizeof_priv: u32,
    feature_req_word: u32,
}

#[repr(C)]
struct PacketMreq {
    ifindex: libc::c_int,
    kind: u16,
    alen: u16,
    address: [u8; 8],
}

#[repr(C)]
struct TpacketStatsV3 {
    packets: u32,
    drops: u32,
    freeze_q_cnt: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const ::pcap::BpfInstruction,
}

// Offsets in a block descriptor (struct tpacket_block_desc with tpacket_hdr_v1) and
// a packet header (struct tpacket3_hdr).
const BLK_STATUS: usize = 8;
const BLK_NUM_PKTS: usize = 12;
const BLK_FIRST: usize = 16;
const PKT_NEXT: usize = 0;
const PKT_SEC: usize = 4;
const PKT_NSEC: usize = 8;
const PKT_SNAPLEN: usize = 12;
const PKT_LEN: usize = 16;
const PKT_MAC: usize = 24;
const PKT_HDR_LEN: usize = 48;

/// A TPACKET_V3 capture of one interface.
pub struct TpacketV3 {
    fd: libc::c_int,
    ring: *mut u8,
    ring_len: usize,
    block_size: usize,
    blocks: usize,
    next: usize,
    snaplen: u32,
    interface: String,
    batch: Batcher,
    stats: LiveStats,
}

// SAFETY: the ring is owned by this value alone (mapped in `open`, unmapped in
// `drop`); moving it to a reader thread moves that ownership with it.
unsafe impl Send for TpacketV3 {}

fn last_os_error() -> String {
    std::io::Error::last_os_error().to_string()
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, v: &T) -> bool {
    // SAFETY: `v` points to a live value of the size passed, which the kernel only
    // reads during the call.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        ) == 0
    }
}

impl TpacketV3 {
    /// Opens `interface`: an AF_PACKET socket bound to it with a TPACKET_V3 ring of
    /// `num_blocks` blocks of `block_size` bytes, promiscuous if asked, the capture
    /// filter compiled by libpcap and attached, and the fanout group joined.
    pub fn open(interface: &str, opts: &LiveOptions) -> Result<Self, LiveError> {
        let fail = |what: &str| LiveError::Open {
            interface: interface.to_string(),
            message: format!("{what}: {}", last_os_error()),
        };
        let name = std::ffi::CString::new(interface).map_err(|_| LiveError::Open {
            interface: interface.to_string(),
            message: "bad interface name".into(),
        })?;
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(fail("no such interface"));
        }
        // SAFETY: plain socket creation; the descriptor is owned by the value built
        // below (closed in `drop`) or closed on the error paths.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                libc::c_int::from(ETH_P_ALL.to_be()),
            )
        };
        if fd < 0 {
            return Err(fail("socket(AF_PACKET)"));
        }
        let close_with = |e: LiveError| {
            // SAFETY: `fd` is the socket opened above, not yet owned by anything.
            unsafe { libc::close(fd) };
            e
        };
        if !setsockopt(fd, SOL_PACKET, PACKET_VERSION, &TPACKET_V3) {
            return Err(close_with(fail("PACKET_VERSION TPACKET_V3")));
        }
        let page = 4096u32;
        let block_size = opts.block_size.max(page).next_multiple_of(page);
        let blocks = opts.num_blocks.max(2);
        let req = TpacketReq3 {
            block_size,
            block_nr: blocks,
            frame_size: FRAME_SIZE,
            frame_nr: block_size / FRAME_SIZE * blocks,
            retire_blk_tov: BLOCK_TIMEOUT_MS,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        if !setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req) {
            return Err(close_with(fail("PACKET_RX_RING")));
        }
        let ring_len = block_size as usize * blocks as usize;
        // SAFETY: maps the ring the kernel just allocated for this socket, with the
        // length it was given; the mapping is unmapped in `drop`.
        let ring = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ring_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if ring == libc::MAP_FAILED {
            return Err(close_with(fail("mmap of the ring")));
        }
        let me = TpacketV3 {
            fd,
            ring: ring.cast(),
            ring_len,
            block_size: block_size as usize,
            blocks: blocks as usize,
            next: 0,
            snaplen: opts.snaplen.max(1),
            interface: interface.to_string(),
            batch: Batcher::new(),
            stats: LiveStats::default(),
        };
        if let Some(f) = opts.bpf.as_deref().filter(|f| !f.trim().is_empty()) {
            let prog = ::pcap::Capture::dead(::pcap::Linktype::ETHERNET)
                .and_then(|d| d.compile(f, true))
                .map_err(|e| LiveError::Open {
                    interface: interface.to_string(),
                    message: format!("bpf '{f}': {e}"),
                })?;
            let insns = prog.get_instructions();
            let fprog = SockFprog {
                len: insns.len() as u16,
                filter: insns.as_ptr(),
            };
            // BpfInstruction is libpcap's struct bpf_insn, the kernel's sock_filter.
            if !setsockopt(fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &fprog) {
                return Err(fail("SO_ATTACH_FILTER"));
            }
        }
        // SAFETY: sockaddr_ll is plain data; zero is a valid starting value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = ETH_P_ALL.to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a complete sockaddr_ll and its size is passed.
        let r = unsafe {
            libc::bind(
                fd,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(fail("bind"));
        }
        if opts.promisc {
            let mreq = PacketMreq {
                ifindex: ifindex as i32,
                kind: PACKET_MR_PROMISC,
                alen: 0,
                address: [0; 8],
            };
            if !setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq) {
                return Err(fail("promiscuous mode"));
            }
        }
        if let Some(group) = opts.fanout_group {
            let arg: u32 =
                u32::from(group) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
            if !setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg) {
                return Err(fail("PACKET_FANOUT"));
            }
        }
        Ok(me)
    }

    fn block(&self, i: usize) -> *mut u8 {
        // SAFETY (of the arithmetic): `i < self.blocks`, so the offset stays inside
        // the ring mapping of `blocks * block_size` bytes.
        unsafe { self.ring.add(i * self.block_size) }
    }

    fn block_ready(&self, i: usize) -> bool {
        // SAFETY: the status word is inside block `i` of the mapping; the kernel
        // writes it concurrently, hence the volatile read and the acquire fence.
        let status =
            unsafe { std::ptr::read_volatile(self.block(i).add(BLK_STATUS).cast::<u32>()) };
        fence(Ordering::Acquire);
        status & TP_STATUS_USER != 0
    }

    /// Copies the packets of a ready block and hands it back to the kernel.
    fn take_block(&mut self, i: usize) {
        let base = self.block(i);
        let bs = self.block_size;
        // SAFETY: the block belongs to user space while TP_STATUS_USER is set; all
        // reads are bounds-checked against the block before they are made.
        unsafe {
            let rd = |off: usize| -> u32 {
                if off + 4 <= bs {
                    std::ptr::read_unaligned(base.add(off).cast::<u32>())
                } else {
                    0
                }
            };
            let n = rd(BLK_NUM_PKTS) as usize;
            let mut off = rd(BLK_FIRST) as usize;
            for _ in 0..n {
                if off + PKT_HDR_LEN > bs {
                    break;
                }
                let next = rd(off + PKT_NEXT) as usize;
                let sec = rd(off + PKT_SEC);
                let nsec = rd(off + PKT_NSEC);
                let caplen = rd(off + PKT_SNAPLEN);
                let len = rd(off + PKT_LEN);
                let mac = usize::from(std::ptr::read_unaligned(
                    base.add(off + PKT_MAC).cast::<u16>(),
                ));
                let take = caplen.min(self.snaplen) as usize;
                if off + mac + take <= bs {
                    let bytes = std::slice::from_raw_parts(base.add(off + mac), take);
                    self.batch.push(bytes, len, sec, nsec / 1000);
                }
                if next == 0 {
                    break;
                }
                off += next;
            }
            fence(Ordering::Release);
            std::ptr::write_volatile(base.add(BLK_STATUS).cast::<u32>(), TP_STATUS_KERNEL);
        }
    }
}

impl LiveSource for TpacketV3 {
    fn interface(&self) -> &str {
        &self.interface
    }

    fn linktype(&self) -> u32 {
        1
    }

    fn next_batch(&mut self, out: &mut Vec<Record>) -> Result<(), LiveError> {
        if !self.block_ready(self.next) {
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            // SAFETY: one valid pollfd for our socket.
            unsafe { libc::poll(&mut pfd, 1, POLL.as_millis() as i32) };
        }
        // Every ready block, up to a ring's worth.
        for _ in 0..self.blocks {
            if !self.block_ready(self.next) {
                break;
            }
            self.take_block(self.next);
            self.next = (self.next + 1) % self.blocks;
        }
        if !self.batch.is_empty() {
            self.batch.drain_into(1, out);
        }
        Ok(())
    }

    fn stats(&mut self) -> LiveStats {
        let mut st = TpacketStatsV3 {
            packets: 0,
            drops: 0,
            freeze_q_cnt: 0,
        };
        let mut len = std::mem::size_of::<TpacketStatsV3>() as libc::socklen_t;
        // SAFETY: `st` is writable for `len` bytes, as the call is told.
        let r = unsafe {
            libc::getsockopt(
                self.fd,
                SOL_PACKET,
                PACKET_STATISTICS,
                (&mut st as *mut TpacketStatsV3).cast(),
                &mut len,
            )
        };
        if r == 0 {
            // Reading the counters resets them: keep the running totals here.
            self.stats.received += u64::from(st.packets);
            self.stats.dropped += u64::from(st.drops);
        }
        self.stats
    }
}

impl Drop for TpacketV3 {
    fn drop(&mut self) {
        // SAFETY: the ring was mapped with this length in `open` and nothing borrows
        // it (packets were copied out); the descriptor is ours.
        unsafe {
            libc::munmap(self.ring.cast(), self.ring_len);
            libc::close(self.fd);
        }
    }
}
