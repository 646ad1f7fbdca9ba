//! Fields declared as data: a parser writes a `const` table of [`FieldSpec`]s and
//! gets typed ids back from [`crate::FieldRegistry::define_all`], instead of calling
//! `define` with eight positional arguments.
//!
//! ```
//! use trawl_fields::{FieldRegistry, FieldSpec, FieldType, Flags, Kind};
//!
//! const BASE: FieldSpec = FieldSpec::new("ssh", FieldType::StrHash).flags(Flags::CNT);
//! const FIELDS: [FieldSpec; 2] = [
//!     BASE.named("ssh.ver", "ssh.version", Kind::LoTermField)
//!         .text("Version", "SSH Software Version"),
//!     BASE.named("ssh.key", "ssh.key", Kind::TermField).text("Key", "SSH Key"),
//! ];
//! let mut r = FieldRegistry::new();
//! let [ver, key] = r.define_all(&FIELDS);
//! assert_eq!(r.get(ver).unwrap().kind, "lotermfield");
//! assert_eq!(r.get(key).unwrap().db_field, "ssh.key");
//! ```

use crate::{flags, FieldType};

/// How the viewer shows and searches a field (Arkime's field `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A number.
    Integer,
    /// A float.
    Float,
    /// An IP address.
    Ip,
    /// A term, searched as written.
    TermField,
    /// A term kept in lower case.
    LoTermField,
    /// A term kept in upper case.
    UpTermField,
    /// Free text.
    TextField,
    /// Free text in lower case.
    LoTextField,
    /// A date.
    Date,
    /// A duration in seconds.
    Seconds,
}

impl Kind {
    /// The name Arkime's viewer knows the kind by.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Ip => "ip",
            Kind::TermField => "termfield",
            Kind::LoTermField => "lotermfield",
            Kind::UpTermField => "uptermfield",
            Kind::TextField => "textfield",
            Kind::LoTextField => "lotextfield",
            Kind::Date => "date",
            Kind::Seconds => "seconds",
        }
    }
}

/// Field flags as a set (the [`flags`] bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u32);

impl Flags {
    /// None.
    pub const NONE: Flags = Flags(0);
    /// Also write `<name>Cnt`.
    pub const CNT: Flags = Flags(flags::CNT);
    /// Also write `<name>-cnt` (ECS style).
    pub const ECS_CNT: Flags = Flags(flags::ECS_CNT);
    /// Strings are already UTF-8.
    pub const FORCE_UTF8: Flags = Flags(flags::FORCE_UTF8);
    /// Not listed in the viewer's field definitions.
    pub const NODB: Flags = Flags(flags::NODB);
    /// Only a definition for the viewer.
    pub const FAKE: Flags = Flags(flags::FAKE);
    /// Written by special code, not the generic loop.
    pub const NOSAVE: Flags = Flags(flags::NOSAVE);
    /// Carried in every segment of a linked session.
    pub const LINKED_SESSIONS: Flags = Flags(flags::LINKED_SESSIONS);

    /// Both sets.
    pub const fn and(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// One field, declared as data. Build it in a `const` with [`FieldSpec::new`] and
/// the chained `const fn`s, or with struct syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Viewer group ("http", "dns", ...).
    pub group: &'static str,
    /// Viewer kind.
    pub kind: Kind,
    /// Expression name used in searches ("http.host").
    pub expression: &'static str,
    /// Human name.
    pub friendly: &'static str,
    /// Database name ("http.host").
    pub db: &'static str,
    /// Help text.
    pub help: &'static str,
    /// Storage type.
    pub ty: FieldType,
    /// Flags.
    pub flags: Flags,
    /// Viewer category ("host", "url", "md5", ...).
    pub category: Option<&'static str>,
}

impl FieldSpec {
    /// A field of `group` stored as `ty`; the rest to be filled by the builders.
    pub const fn new(group: &'static str, ty: FieldType) -> FieldSpec {
        FieldSpec {
            group,
            kind: Kind::TermField,
            expression: "",
            friendly: "",
            db: "",
            help: "",
            ty,
            flags: Flags::NONE,
            category: None,
        }
    }

    /// With this expression, database name and kind.
    pub const fn named(mut self, expression: &'static str, db: &'static str, kind: Kind) -> Self {
        self.expression = expression;
        self.db = db;
        self.kind = kind;
        self
    }

    /// With this friendly name and help.
    pub const fn text(mut self, friendly: &'static str, help: &'static str) -> Self {
        self.friendly = friendly;
        self.help = help;
        self
    }

    /// With this storage type.
    pub const fn ty(mut self, ty: FieldType) -> Self {
        self.ty = ty;
        self
    }

    /// With these flags (replacing any).
    pub const fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// With this category.
    pub const fn category(mut self, category: &'static str) -> Self {
        self.category = Some(category);
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::FieldRegistry;

    use super::*;

    #[test]
    fn a_spec_defines_what_define_would() {
        const S: FieldSpec = FieldSpec::new("http", FieldType::StrHash)
            .named("host.http", "http.host", Kind::LoTermField)
            .text("Hostname", "HTTP host header field")
            .flags(Flags::CNT.and(Flags::FORCE_UTF8))
            .category("host");
        let mut a = FieldRegistry::new();
        let id = a.define_spec(&S);
        let mut b = FieldRegistry::new();
        let id2 = b.define(
            "http",
            "lotermfield",
            "host.http",
            "Hostname",
            "http.host",
            "HTTP host header field",
            FieldType::StrHash,
            flags::CNT | flags::FORCE_UTF8,
        );
        b.set_category(id2, "host");
        let (da, db) = (a.get(id).unwrap(), b.get(id2).unwrap());
        assert_eq!(format!("{da:?}"), format!("{db:?}"));
        // Defining it again returns the same id, as define does.
        assert_eq!(a.define_spec(&S), id);
    }
}
