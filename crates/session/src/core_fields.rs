//! The fields the capture core fills for every session (Arkime's `packet.c`,
//! `session.c` and `parsers.c` definitions).

use trawl_fields::{flags::*, FieldId, FieldRegistry, FieldType};

/// Ids of the core fields.
#[derive(Clone, Copy, Debug)]
pub struct CoreFields {
    /// source.mac
    pub mac_src: FieldId,
    /// destination.mac
    pub mac_dst: FieldId,
    /// srcOuterMac
    pub outer_mac_src: FieldId,
    /// dstOuterMac
    pub outer_mac_dst: FieldId,
    /// srcDscp / dstDscp
    pub dscp: [FieldId; 2],
    /// srcTTL / dstTTL
    pub ttl: [FieldId; 2],
    /// srcOui
    pub oui_src: FieldId,
    /// dstOui
    pub oui_dst: FieldId,
    /// srcOuterOui
    pub outer_oui_src: FieldId,
    /// dstOuterOui
    pub outer_oui_dst: FieldId,
    /// network.vlan.id
    pub vlan: FieldId,
    /// dot1q.id
    pub dot1q: FieldId,
    /// dot1ad.id
    pub dot1ad: FieldId,
    /// vni
    pub vni: FieldId,
    /// srcOuterIp
    pub outer_ip_src: FieldId,
    /// dstOuterIp
    pub outer_ip_dst: FieldId,
    /// protocol
    pub protocols: FieldId,
    /// tags
    pub tags: FieldId,
    /// icmp.type
    pub icmp_type: FieldId,
    /// icmp.code
    pub icmp_code: FieldId,
}

/// Defines the core fields (and the viewer-only ones the document writer fills itself).
pub fn define_core_fields(r: &mut FieldRegistry) -> CoreFields {
    let g = "general";
    let protocols = r.define(
        g,
        "termfield",
        "protocols",
        "Protocols",
        "protocol",
        "Protocols set for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    let tags = r.define(
        g,
        "termfield",
        "tags",
        "Tags",
        "tags",
        "Tags set for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    // Arkime's parsers.c defines `user` for every parser that finds a user name.
    let user = r.define(
        g,
        "lotermfield",
        "user",
        "User",
        "user",
        "External user set for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    r.set_category(user, "user");
    let mac_src = r.define(
        g,
        "lotermfield",
        "mac.src",
        "Src MAC",
        "source.mac",
        "Source ethernet mac addresses set for session",
        FieldType::StrHash,
        ECS_CNT | LINKED_SESSIONS | NOSAVE,
    );
    let mac_dst = r.define(
        g,
        "lotermfield",
        "mac.dst",
        "Dst MAC",
        "destination.mac",
        "Destination ethernet mac addresses set for session",
        FieldType::StrHash,
        ECS_CNT | LINKED_SESSIONS | NOSAVE,
    );
    let outer_mac_src = r.define(
        g,
        "lotermfield",
        "outermac.src",
        "Src Outer MAC",
        "srcOuterMac",
        "Source ethernet outer mac addresses set for session",
        FieldType::StrHash,
        ECS_CNT | LINKED_SESSIONS,
    );
    let outer_mac_dst = r.define(
        g,
        "lotermfield",
        "outermac.dst",
        "Dst Outer MAC",
        "dstOuterMac",
        "Destination ethernet outer mac addresses set for session",
        FieldType::StrHash,
        ECS_CNT | LINKED_SESSIONS,
    );
    let dscp_src = r.define(
        g,
        "integer",
        "dscp.src",
        "Src DSCP",
        "srcDscp",
        "Source non zero differentiated services class selector set for session",
        FieldType::IntGHash,
        CNT,
    );
    let dscp_dst = r.define(
        g,
        "integer",
        "dscp.dst",
        "Dst DSCP",
        "dstDscp",
        "Destination non zero differentiated services class selector set for session",
        FieldType::IntGHash,
        CNT,
    );
    let ttl_src = r.define(
        g,
        "integer",
        "ttl.src",
        "TTL Src",
        "srcTTL",
        "Source IP TTL for first few packets",
        FieldType::IntGHash,
        CNT,
    );
    let ttl_dst = r.define(
        g,
        "integer",
        "ttl.dst",
        "TTL Dst",
        "dstTTL",
        "Destination IP TTL for first few packets",
        FieldType::IntGHash,
        CNT,
    );
    let oui_src = r.define(
        g,
        "termfield",
        "oui.src",
        "Src OUI",
        "srcOui",
        "Source ethernet oui for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    let oui_dst = r.define(
        g,
        "termfield",
        "oui.dst",
        "Dst OUI",
        "dstOui",
        "Destination ethernet oui for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    let outer_oui_src = r.define(
        g,
        "termfield",
        "outeroui.src",
        "Src Outer OUI",
        "srcOuterOui",
        "Source ethernet outer oui for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    let outer_oui_dst = r.define(
        g,
        "termfield",
        "outeroui.dst",
        "Dst Outer OUI",
        "dstOuterOui",
        "Destination ethernet outer oui for session",
        FieldType::StrHash,
        CNT | LINKED_SESSIONS,
    );
    let vlan = r.define(
        g,
        "integer",
        "vlan",
        "VLAN",
        "network.vlan.id",
        "vlan value",
        FieldType::IntArrayUnique,
        ECS_CNT | LINKED_SESSIONS | NOSAVE,
    );
    let dot1q = r.define(
        g,
        "integer",
        "vlan.dot1q",
        "VLAN dot1q",
        "dot1q.id",
        "vlan dot1q",
        FieldType::IntArrayUnique,
        CNT | LINKED_SESSIONS,
    );
    let dot1ad = r.define(
        g,
        "integer",
        "vlan.dot1ad",
        "VLAN dot1ad",
        "dot1ad.id",
        "vlan dot1ad",
        FieldType::IntArrayUnique,
        CNT | LINKED_SESSIONS,
    );
    let vni = r.define(
        g,
        "integer",
        "vni",
        "VNI",
        "vni",
        "vni value",
        FieldType::IntGHash,
        CNT | LINKED_SESSIONS,
    );
    let outer_ip_src = r.define(
        g,
        "ip",
        "outerip.src",
        "Src Outer IP",
        "srcOuterIp",
        "Source ethernet outer ip for session",
        FieldType::IpGHash,
        CNT | LINKED_SESSIONS,
    );
    let outer_ip_dst = r.define(
        g,
        "ip",
        "outerip.dst",
        "Dst Outer IP",
        "dstOuterIp",
        "Destination outer ip for session",
        FieldType::IpGHash,
        CNT | LINKED_SESSIONS,
    );
    let icmp_type = r.define(
        g,
        "integer",
        "icmp.type",
        "ICMP Type",
        "icmp.type",
        "ICMP type field values",
        FieldType::IntGHash,
        0,
    );
    let icmp_code = r.define(
        g,
        "integer",
        "icmp.code",
        "ICMP Code",
        "icmp.code",
        "ICMP code field values",
        FieldType::IntGHash,
        0,
    );

    // Written by the document writer itself; defined so searches and the viewer know them.
    for (exp, db, kind) in [
        ("ip.src", "source.ip", "ip"),
        ("ip.dst", "destination.ip", "ip"),
        ("port.src", "source.port", "integer"),
        ("port.dst", "destination.port", "integer"),
        ("bytes.src", "source.bytes", "integer"),
        ("bytes.dst", "destination.bytes", "integer"),
        ("packets.src", "source.packets", "integer"),
        ("packets.dst", "destination.packets", "integer"),
        ("bytes", "network.bytes", "integer"),
        ("packets", "network.packets", "integer"),
        ("databytes.src", "client.bytes", "integer"),
        ("databytes.dst", "server.bytes", "integer"),
        ("databytes", "totDataBytes", "integer"),
        ("communityId", "network.community_id", "termfield"),
        ("country.src", "source.geo.country_iso_code", "uptermfield"),
        (
            "country.dst",
            "destination.geo.country_iso_code",
            "uptermfield",
        ),
        ("asn.src", "source.as.full", "termfield"),
        ("asn.dst", "destination.as.full", "termfield"),
        ("rir.src", "srcRIR", "uptermfield"),
        ("rir.dst", "dstRIR", "uptermfield"),
        ("starttime", "firstPacket", "seconds"),
        ("stoptime", "lastPacket", "seconds"),
        ("session.length", "length", "integer"),
        ("ip.protocol", "ipProtocol", "lotermfield"),
        ("node", "node", "termfield"),
        ("rootId", "rootId", "termfield"),
        ("session.segments", "segmentCnt", "integer"),
        ("initRTT", "initRTT", "integer"),
        ("ethertype", "ethertype", "integer"),
        ("tcpseq.src", "tcpseq.src", "integer"),
        ("tcpseq.dst", "tcpseq.dst", "integer"),
        ("payload8.src.hex", "srcPayload8", "lotermfield"),
        ("payload8.dst.hex", "dstPayload8", "lotermfield"),
        ("tcp.synValidated", "tcpSynValidated", "termfield"),
        ("tcp.synAckValidated", "tcpSynAckValidated", "termfield"),
        ("tcp.srcISNCnt", "srcISNCnt", "integer"),
        // Arkime's `file`: the name of a pcap file, which a search turns into the
        // node and number of each file it names.
        ("file", "fileand", "fileand"),
    ] {
        r.define(g, kind, exp, exp, db, "", FieldType::Int, FAKE);
    }
    for f in [
        "syn", "syn-ack", "ack", "psh", "fin", "rst", "urg", "ece", "cwr", "ae",
    ] {
        let name = format!("tcpflags.{f}");
        r.define(g, "integer", &name, &name, &name, "", FieldType::Int, FAKE);
    }

    CoreFields {
        mac_src,
        mac_dst,
        outer_mac_src,
        outer_mac_dst,
        dscp: [dscp_src, dscp_dst],
        ttl: [ttl_src, ttl_dst],
        oui_src,
        oui_dst,
        outer_oui_src,
        outer_oui_dst,
        vlan,
        dot1q,
        dot1ad,
        vni,
        outer_ip_src,
        outer_ip_dst,
        protocols,
        tags,
        icmp_type,
        icmp_code,
    }
}
