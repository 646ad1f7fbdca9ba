//! Compiling a rules file (Arkime's rules.yaml format, version 1) into
//! [`crate::Rule`]s.

use std::net::IpAddr;

use crate::{Cond, Internal, Key, Kind, Matcher, Op, OpTarget, Rule, StrMatch, When};
use trawl_fields::{FieldRegistry, FieldType};

use crate::bpf::BpfFilter;
use crate::yaml::{Node, Value};

/// A problem with one rule or file. `fatal` ones stop start-up (as Arkime exits);
/// the others skip the rule with a warning.
#[derive(Debug)]
pub struct LoadError {
    /// Stop start-up.
    pub fatal: bool,
    /// What is wrong, naming the rule.
    pub message: String,
}

fn fatal(m: String) -> LoadError {
    LoadError {
        fatal: true,
        message: m,
    }
}

fn skip(m: String) -> LoadError {
    LoadError {
        fatal: false,
        message: m,
    }
}

/// What a rule condition or op names.
fn resolve(reg: &FieldRegistry, exp: &str) -> Option<(Key, Kind)> {
    if let Some(i) = Internal::by_expression(exp) {
        return Some((Key::Internal(i), i.kind()));
    }
    if let Some(id) = reg.by_expression(exp) {
        let kind = match reg.get(id)?.ty {
            FieldType::Int
            | FieldType::IntArray
            | FieldType::IntArrayUnique
            | FieldType::IntHash
            | FieldType::IntGHash => Kind::Int,
            FieldType::Str | FieldType::StrArray | FieldType::StrHash | FieldType::StrGHash => {
                Kind::Str
            }
            FieldType::Ip | FieldType::IpGHash => Kind::Ip,
            FieldType::Float | FieldType::FloatArray | FieldType::FloatGHash => Kind::Float,
            FieldType::Object => return None,
        };
        return Some((Key::Field(id), kind));
    }
    let base = exp.strip_suffix(".cnt")?;
    let id = reg.by_expression(base)?;
    Some((Key::Count(id), Kind::Int))
}

/// The values of a field node: its scalar, or its sequence items.
fn values(n: &Node) -> Vec<&str> {
    match &n.value {
        Value::Scalar(s) => vec![s.as_str()],
        Value::Children(c) => c.iter().map(|x| x.key.as_str()).collect(),
        Value::Item => vec![n.key.as_str()],
    }
}

fn add_value(
    m: &mut Matcher,
    kind: Kind,
    pattern: Option<StrMatch>,
    v: &str,
    what: &str,
) -> Result<(), LoadError> {
    match kind {
        Kind::Str => match pattern {
            Some(p) => {
                if v.len() > 255 {
                    return Err(fatal(format!("{what}: match '{v}' is too large")));
                }
                m.patterns.push((p, v.to_string()));
            }
            None => {
                m.strs.insert(v.to_string());
            }
        },
        Kind::Int => match v.find('-').filter(|&i| i > 0) {
            Some(dash) => {
                let lo = crate::leading_int(&v[..dash]);
                let hi = crate::leading_int(&v[dash + 1..]);
                let (lo, hi) = (clamp_u32(lo), clamp_u32(hi));
                if lo > hi {
                    return Err(fatal(format!("{what}: range {v}: min {lo} > max {hi}")));
                }
                m.ranges.push((lo, hi));
            }
            None => {
                m.ints.insert(clamp_u32(crate::leading_int(v)));
            }
        },
        Kind::Float => {
            let f: f32 = v
                .trim()
                .parse()
                .map_err(|_| fatal(format!("{what}: '{v}' is not a number")))?;
            m.floats.insert(f.to_bits());
        }
        Kind::Ip => {
            let (net, bits) = match v.trim() {
                "ipv4" => (IpAddr::from([0u8; 4]), 0),
                "ipv6" => (IpAddr::from([0u16; 8]), 0),
                t => parse_cidr(t)
                    .ok_or_else(|| fatal(format!("{what}: '{v}' is not an address or CIDR")))?,
            };
            m.nets.push((net, bits));
        }
    }
    Ok(())
}

/// A C `atoi` result as Arkime stores it in a `uint32_t`.
fn clamp_u32(n: i64) -> u32 {
    n as u32
}

fn parse_cidr(t: &str) -> Option<(IpAddr, u8)> {
    let (a, b) = match t.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let ip: IpAddr = a.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match b {
        Some(b) => b.parse::<u8>().ok().filter(|&n| n <= max)?,
        None => max,
    };
    Some((ip, bits))
}

fn when_of(w: &str) -> Option<When> {
    Some(match w {
        "sessionSetup" => When::SessionSetup,
        "afterClassify" => When::AfterClassify,
        "fieldSet" => When::FieldSet,
        "beforeMiddleSave" => When::BeforeSave {
            middle: true,
            final_: false,
        },
        "beforeFinalSave" => When::BeforeSave {
            middle: false,
            final_: true,
        },
        "beforeBothSave" => When::BeforeSave {
            middle: true,
            final_: true,
        },
        _ => return None,
    })
}

/// The target of an op name.
fn op_target(reg: &FieldRegistry, name: &str) -> Result<OpTarget, String> {
    Ok(match name {
        "_dontSaveSPI" => OpTarget::StopSpi,
        "_maxPacketsToSave" => OpTarget::MaxPacketsToSave,
        "_minPacketsBeforeSavingSPI" => OpTarget::MinPacketsBeforeSavingSpi,
        "_flipSrcDst" => OpTarget::FlipSrcDst,
        n if n.starts_with('_') => return Err(format!("op {n} is not supported by trawl")),
        n => match reg.by_expression(n) {
            Some(id) => OpTarget::Field(id),
            None if Internal::by_expression(n).is_some() => {
                return Err(format!("{n} cannot be set"));
            }
            None => return Err(format!("unknown field '{n}'")),
        },
    })
}

/// Compiles one rule node.
pub fn rule(file: &str, node: &Node, reg: &FieldRegistry) -> Result<Rule, LoadError> {
    let name = node
        .get_str("name")
        .ok_or_else(|| fatal(format!("{file}: a rule has no name")))?
        .to_string();
    let what = format!("{file}: rule '{name}'");
    let when_s = node
        .get_str("when")
        .ok_or_else(|| fatal(format!("{what}: no 'when'")))?;
    let bpf = node.get_str("bpf");
    let fields = node.get_list("fields");
    let expression = node.get_str("expression");
    match (bpf.is_some(), fields.is_some(), expression.is_some()) {
        (false, false, false) => {
            return Err(fatal(format!("{what}: needs bpf, fields or expression")))
        }
        (true, true, _) | (true, _, true) | (_, true, true) => {
            return Err(fatal(format!(
                "{what}: only one of bpf, fields, expression"
            )))
        }
        _ => {}
    }
    let ops_node = node
        .get_list("ops")
        .ok_or_else(|| fatal(format!("{what}: no 'ops'")))?;
    if expression.is_some() {
        return Err(skip(format!(
            "{what}: expression rules are not supported (nor by Arkime)"
        )));
    }
    let when = match when_s {
        "everyPacket" => {
            return Err(skip(format!("{what}: everyPacket rules are not supported")));
        }
        w => when_of(w).ok_or_else(|| fatal(format!("{what}: unknown when '{w}'")))?,
    };
    if bpf.is_some() && when != When::SessionSetup {
        return Err(fatal(format!("{what}: {when_s} does not support bpf")));
    }
    let log = node
        .get_str("log")
        .is_some_and(|l| l.eq_ignore_ascii_case("true"));

    let mut conds: Vec<Cond> = Vec::new();
    for f in fields.unwrap_or(&[]) {
        let (not, rest) = match f.key.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, f.key.as_str()),
        };
        let (exp, modifier) = match rest.split_once(',') {
            Some((e, m)) => (e, Some(m)),
            None => (rest, None),
        };
        let pattern = match modifier {
            None => None,
            Some("tail" | "endsWith") => Some(StrMatch::Tail),
            Some("head" | "startsWith") => Some(StrMatch::Head),
            Some("contains") => Some(StrMatch::Contains),
            Some(m) => return Err(fatal(format!("{what}: field {rest}: unknown modifier {m}"))),
        };
        if not && when == When::FieldSet {
            return Err(fatal(format!(
                "{what}: NOT conditions are not allowed in fieldSet rules"
            )));
        }
        let (key, kind) =
            resolve(reg, exp).ok_or_else(|| skip(format!("{what}: unknown field '{exp}'")))?;
        if pattern.is_some() && kind != Kind::Str {
            return Err(fatal(format!("{what}: field {exp} takes no modifier")));
        }
        if not && !matches!(kind, Kind::Str | Kind::Int) {
            return Err(fatal(format!(
                "{what}: only string and integer fields support '!'"
            )));
        }
        if matches!(kind, Kind::Float)
            && values(f).iter().any(|v| v.find('-').is_some_and(|i| i > 0))
        {
            return Err(fatal(format!(
                "{what}: ranges are not supported for float fields"
            )));
        }
        let idx = match conds.iter().position(|c| c.key == key) {
            Some(i) if conds[i].not != not => {
                return Err(fatal(format!("{what}: both !{exp} and {exp}")));
            }
            Some(i) => i,
            None => {
                conds.push(Cond {
                    key,
                    matcher: Matcher::default(),
                    not,
                });
                conds.len() - 1
            }
        };
        for v in values(f) {
            add_value(&mut conds[idx].matcher, kind, pattern, v, &what)?;
        }
    }

    let mut ops = Vec::new();
    for o in ops_node {
        let v = match &o.value {
            Value::Scalar(s) => s.as_str(),
            _ => return Err(fatal(format!("{what}: op {} needs a value", o.key))),
        };
        match op_target(reg, &o.key) {
            Ok(t) => ops.push(Op::new(t, v)),
            Err(e) => return Err(skip(format!("{what}: {e}"))),
        }
    }

    let bpf = match bpf {
        Some(b) => Some(
            Box::new(BpfFilter::new(b).map_err(|e| fatal(format!("{what}: {e}")))?)
                as Box<dyn crate::PacketFilter>,
        ),
        None => None,
    };
    Ok(Rule {
        name,
        when,
        bpf,
        conds,
        ops,
        log,
    })
}

/// Compiles a whole file's tree.
pub fn file(file: &str, root: &Node, reg: &FieldRegistry) -> Result<Vec<Rule>, LoadError> {
    if root.get_str("version") != Some("1") {
        return Err(fatal(format!("{file}: missing 'version: 1'")));
    }
    let rules = root
        .get_list("rules")
        .ok_or_else(|| fatal(format!("{file}: missing 'rules'")))?;
    let mut out = Vec::new();
    for r in rules {
        match rule(file, r, reg) {
            Ok(r) => out.push(r),
            Err(e) if !e.fatal => tracing::warn!("{}; rule skipped", e.message),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
