//! Content types from the first bytes of a body or attachment: Arkime's
//! `magicMode=basic` table (the signatures it checks without libmagic).

use crate::text::memstr;

/// The content type of `data` by its leading bytes, or None. Fewer than five bytes
/// never match.
pub fn basic(data: &[u8]) -> Option<&'static str> {
    let len = data.len();
    if len < 5 {
        return None;
    }
    // `at`: the bytes at `off` equal `needle`; `at_len`: the same, and the data runs
    // past the needle; `has`: `needle` occurs after `off`, the data longer than both;
    // `case`/`case_len`: `at`/`at_len` ignoring ASCII case.
    let at = |off: usize, needle: &[u8]| data.get(off..off + needle.len()) == Some(needle);
    let at_len = |off: usize, needle: &[u8]| len > needle.len() + off && at(off, needle);
    let has = |off: usize, needle: &[u8]| {
        len > needle.len() + off && memstr(data.get(off..).unwrap_or(&[]), needle)
    };
    let case = |off: usize, needle: &[u8]| {
        data.get(off..off + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    };
    let case_len = |off: usize, needle: &[u8]| len > needle.len() + off && case(off, needle);
    let b = |i: usize| data.get(i).copied().unwrap_or(0);

    let found = match data[0] {
        0 => {
            if len > 10 && at(4, b"ftyp") && at(8, b"qt") {
                Some("video/quicktime")
            } else if len > 10 && at(4, b"ftyp") && at(8, b"3g") {
                Some("video/3gpp")
            } else if at(0, b"\x00\x01\x00\x00\x00") {
                Some("application/x-font-ttf")
            } else if at_len(0, b"\x00\x00\x02\x00\x01\x00") {
                Some("image/x-win-bitmap")
            } else if at(0, b"\x00asm") {
                Some("application/wasm")
            } else {
                None
            }
        }
        4 if at(0, b"\x04\x22M\x18") => Some("application/x-lz4"),
        0x1a if at(0, b"\x1a\x45\xdf\xa3") && has(4, b"webm") => Some("video/webm"),
        0x1a if at(0, b"\x1a\x45\xdf\xa3") && has(4, b"matroska") => Some("video/x-matroska"),
        0x1f if b(1) == 0x8b => Some("application/x-gzip"),
        0x1f if b(1) == 0x9d => Some("application/x-compress"),
        0x28 if at(0, b"\x28\xb5\x2f\xfd") => Some("application/zstd"),
        b'7' if at_len(0, b"7z\xbc\xaf\x27\x1c") => Some("application/x-7z-compressed"),
        b'!' if at_len(1, b"<arch>\ndebian-binary") => Some("application/x-debian-package"),
        b'#' if b(1) == b'!' => Some(if has(3, b"node") {
            "application/javascript"
        } else if has(3, b"perl") {
            "text/x-perl"
        } else if has(3, b"ruby") {
            "text/x-ruby"
        } else if has(3, b"python") {
            "text/x-python"
        } else {
            "text/x-shellscript"
        }),
        b'%' if at(0, b"%PDF-") => Some("application/pdf"),
        b'%' if at(0, b"%!PS") => Some("application/postscript"),
        b'<' => match b(1) {
            b'!' if case_len(0, b"<!doctype html") => Some("text/html"),
            b'!' if case_len(0, b"<!doctype svg") => Some("text/svg+xml"),
            b'?' if case(0, b"<?xml") => Some(if has(5, b"<svg") {
                "image/svg+xml"
            } else {
                "text/xml"
            }),
            b'?' if case_len(2, b"php") || case_len(2, b" php") => Some("text/x-php"),
            b'B' | b'b' if case(0, b"<body") => Some("text/html"),
            b'H' | b'h' if case(0, b"<head") || case(0, b"<html") => Some("text/html"),
            b's' | b'S' if case(0, b"<svg") => Some("image/svg"),
            _ => None,
        },
        b'{' if b(1) == b'"' && b(2).is_ascii_alphabetic() => Some("application/json"),
        b'{' if at(0, b"{\\rtf") => Some("text/rtf"),
        b'8' if at(0, b"8BPS") => Some("image/vnd.adobe.photoshop"),
        b'B' if b(1) == b'M' => Some("application/x-ms-bmp"),
        b'B' if at(0, b"BZh") => Some("application/x-bzip2"),
        b'C' if at(0, b"CWS") => Some("application/x-shockwave-flash"),
        b'F' if at(0, b"FLV\x01") => Some("video/x-flv"),
        b'F' if at(0, b"FWS") => Some("application/x-shockwave-flash"),
        b'G' if at(0, b"GIF8") => Some("image/gif"),
        b'G' if len > 188 && b(2) == 0 && b(188) == b'G' => Some("video/mp2t"),
        b'f' if at(0, b"fLaC") => Some("audio/flac"),
        b'i' if at(0, b"icns") => Some("image/x-icns"),
        b'I' if at(0, b"ID3") => Some("audio/mpeg"),
        b'I' if at(0, b"II*\x00") => Some("image/tiff"),
        b'L' if at_len(0, b"L\x00\x00\x00\x01\x14\x02\x00") => Some("application/x-ms-shortcut"),
        b'M' if b(1) == b'Z' => Some("application/x-dosexec"),
        b'M' if at_len(0, b"MSCF\x00\x00") => Some("application/vnd.ms-cab-compressed"),
        b'M' if at(0, b"MM\x00*") => Some("image/tiff"),
        b'M' if at(0, b"M<\xb2\xa1") => Some("application/vnd.tcpdump.pcap"),
        b'O' if len > 40 && at(0, b"OggS") => {
            if at(28, b"Speex   ") || at(29, b"FLAC") || at(28, b"\x01vorbis") {
                Some("audio/ogg")
            } else if at(28, b"\x80theora") {
                Some("video/ogg")
            } else {
                None
            }
        }
        b'O' if at(0, b"OTTO") => Some("application/vnd.ms-opentype"),
        b'P' if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") || at_len(0, b"PK\x07\x08PK") => {
            Some("application/zip")
        }
        b'R' if at(0, b"RIFF") => Some(if at_len(8, b"WEBP") {
            "image/webp"
        } else if at_len(8, b"AVI ") {
            "video/x-msvideo"
        } else {
            "audio/x-wav"
        }),
        b'R' if at(0, b"Rar!\x1a") => Some("application/x-rar"),
        b'S' if at_len(0, b"SQLite format 3") => Some("application/vnd.sqlite3"),
        b'W' if at(0, b"WAVE") => Some("audio/x-wav"),
        b'd' if at_len(0, b"d8:announce") => Some("application/x-bittorrent"),
        b'w' if at(0, b"wOFF") => Some("application/font-woff"),
        b'w' if at(0, b"wOF2") => Some("application/font-woff2"),
        0x7f if len > 17 && at(0, b"\x7fELF") => {
            // e_type, in the byte order EI_DATA names; 3 (ET_DYN) is also PIE.
            let etype = if b(5) == 2 { b(17) } else { b(16) };
            Some(if etype == 3 {
                "application/x-sharedlib"
            } else {
                "application/x-executable"
            })
        }
        0xa1 if at(0, b"\xa1\xb2\xc3\xd4") || at(0, b"\xa1\xb2\x3c\x4d") => {
            Some("application/vnd.tcpdump.pcap")
        }
        0xca if at(0, b"\xca\xfe\xba\xbe") => {
            // Mach-O universal binaries follow with a small big-endian count; Java
            // class files with their version.
            if len > 7 && b(4) == 0 && b(5) == 0 && b(6) == 0 && b(7) < 0x20 {
                Some("application/x-mach-binary")
            } else {
                Some("application/x-java-applet")
            }
        }
        0xce | 0xcf if at(0, b"\xce\xfa\xed\xfe") || at(0, b"\xcf\xfa\xed\xfe") => {
            Some("application/x-mach-binary")
        }
        0xd0 if at_len(0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") => Some("application/x-ole-storage"),
        0xd4 if at(0, b"\xd4\xc3\xb2\xa1") => Some("application/vnd.tcpdump.pcap"),
        0xfe if at(0, b"\xfe\xed\xfa\xce") || at(0, b"\xfe\xed\xfa\xcf") => {
            Some("application/x-mach-binary")
        }
        0x89 if at(0, b"\x89PNG") => Some("image/png"),
        0xfd if at_len(0, b"\xfd7zXZ") => Some("application/x-xz"),
        0xff if len > 10 && at(0, b"\xff\xd8\xff") => Some("image/jpeg"),
        0xed if len > 10 && at(0, b"\xed\xab\xee\xdb") => Some("application/x-rpm"),
        _ => None,
    };
    if found.is_some() {
        return found;
    }
    if at_len(257, b"ustar") {
        return Some("application/x-tar");
    }
    if has(0, b"document.write") || has(0, b"'use strict'") {
        return Some("text/javascript");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::basic;

    #[test]
    fn common_types() {
        assert_eq!(basic(b"<!DOCTYPE html><html>"), Some("text/html"));
        assert_eq!(basic(b"<HTML><body>"), Some("text/html"));
        assert_eq!(
            basic(b"<?xml version=\"1.0\"?><svg>"),
            Some("image/svg+xml")
        );
        assert_eq!(basic(b"<?xml version=\"1.0\"?>"), Some("text/xml"));
        assert_eq!(basic(b"\x1f\x8b\x08\x00\x00"), Some("application/x-gzip"));
        assert_eq!(basic(b"GIF89a......"), Some("image/gif"));
        assert_eq!(basic(b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert_eq!(basic(b"PK\x03\x04\x14\x00"), Some("application/zip"));
        assert_eq!(basic(b"{\"a\":1}"), Some("application/json"));
        assert_eq!(basic(b"MZ\x90\x00\x03"), Some("application/x-dosexec"));
        assert_eq!(basic(b"#!/usr/bin/env python\n"), Some("text/x-python"));
        assert_eq!(basic(b"#!/bin/sh\n"), Some("text/x-shellscript"));
        assert_eq!(
            basic(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
            Some("image/jpeg")
        );
    }

    #[test]
    fn edges() {
        assert_eq!(basic(b"GIF8"), None, "under five bytes");
        assert_eq!(basic(b"hello world"), None);
        assert_eq!(basic(b"x document.write(1)"), Some("text/javascript"));
        let mut tar = vec![b'a'; 300];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(basic(&tar), Some("application/x-tar"));
        assert_eq!(
            basic(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"),
            Some("application/x-sharedlib")
        );
        // Every prefix of every test input: no panic.
        for n in 0..tar.len() {
            let _ = basic(&tar[..n]);
        }
    }
}
