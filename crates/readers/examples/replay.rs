//! Sends the packets of a pcap file out of an interface through an AF_PACKET socket,
//! at a given rate or as fast as it can: the traffic source of the live-capture
//! benchmark (bench/live_bench.py).
//!
//!     replay FILE INTERFACE [PACKETS_PER_SECOND (0 = top speed)] [MAX_PACKETS]
//!
//! Prints the packets and bytes sent and the rate reached.
#![allow(unsafe_code)] // it calls the OS (see the SAFETY notes)

use std::time::{Duration, Instant};

use trawl_readers::OfflineReader;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: replay FILE INTERFACE [PPS] [MAX_PACKETS]");
        std::process::exit(2);
    }
    let pps: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let max: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let mut r = OfflineReader::open(std::path::Path::new(&args[1])).unwrap_or_else(|e| {
        eprintln!("{}: {e}", args[1]);
        std::process::exit(1)
    });
    let name = std::ffi::CString::new(args[2].as_str()).expect("interface name");
    // SAFETY: `name` is NUL-terminated and outlives the call.
    let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if ifindex == 0 {
        eprintln!("{}: no such interface", args[2]);
        std::process::exit(1);
    }
    // SAFETY: a plain socket call; the descriptor lives until the process exits.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
    if fd < 0 {
        eprintln!("socket: {}", std::io::Error::last_os_error());
        std::process::exit(1);
    }
    // SAFETY: sockaddr_ll is plain data; zero is a valid start.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_ifindex = ifindex as i32;
    // SAFETY: binds our socket to a complete sockaddr_ll of the size given.
    let rc = unsafe {
        libc::bind(
            fd,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        eprintln!("bind: {}", std::io::Error::last_os_error());
        std::process::exit(1);
    }
    let start = Instant::now();
    let (mut sent, mut bytes, mut failed) = (0u64, 0u64, 0u64);
    while sent < max {
        let rec = match r.next_record() {
            Ok(Some(rec)) => rec,
            _ => break,
        };
        let d = rec.data();
        if pps > 0 {
            // Pace: packet n goes out at n / pps seconds.
            let due = Duration::from_secs_f64(sent as f64 / pps as f64);
            while start.elapsed() < due {
                std::hint::spin_loop();
            }
        }
        // SAFETY: sends `d.len()` readable bytes from `d` on our bound socket.
        let n = unsafe { libc::send(fd, d.as_ptr().cast(), d.len(), 0) };
        if n < 0 {
            failed += 1;
        } else {
            sent += 1;
            bytes += d.len() as u64;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {sent} packets {bytes} bytes in {secs:.2}s = {:.0} pps ({failed} send errors)",
        sent as f64 / secs.max(1e-9)
    );
}
