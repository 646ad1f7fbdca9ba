//! placeholder (being written): the agreed API only.
use std::net::IpAddr;
/// Lookups.
pub struct Lookups;
/// Info.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpInfo { pub country: Option<String>, pub asn_number: Option<u32>, pub asn_org: Option<String>, pub rir: Option<String>, pub tags: Vec<String>, pub city: Option<String>, pub region: Option<String> }
impl Lookups {
    pub fn empty() -> Lookups { Lookups }
    pub fn oui(&self, _mac: &[u8; 6]) -> Option<&str> { None }
    pub fn ip_info(&self, _ip: IpAddr) -> IpInfo { IpInfo::default() }
}
impl IpInfo {
    pub fn asn_full(&self) -> Option<String> { None }
}
