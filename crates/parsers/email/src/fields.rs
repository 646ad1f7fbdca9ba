//! The email fields SMTP and IMAP share (Arkime defines them in smtp.c; imap.c
//! repeats the ones it uses).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};

/// Field ids of the email group.
#[derive(Clone, Copy, Debug)]
pub struct EmailIds {
    pub host: FieldId,
    pub ua: FieldId,
    pub src: FieldId,
    pub dst: FieldId,
    pub subject: FieldId,
    pub id: FieldId,
    pub content_type: FieldId,
    pub mime_version: FieldId,
    pub filename: FieldId,
    pub md5: FieldId,
    pub sha256: Option<FieldId>,
    pub ip: FieldId,
    pub has_header: FieldId,
    pub header_field: FieldId,
    pub header_value: FieldId,
    pub magic: FieldId,
    pub hello: FieldId,
    pub folder: FieldId,
    /// The core `user` field.
    pub user: FieldId,
}

const EMAIL: FieldSpec = FieldSpec::new("email", FieldType::StrHash).flags(Flags::CNT);

/// The email fields defined before `email.sha256`, in Arkime's order.
pub const FIELDS: [FieldSpec; 11] = [
    EMAIL
        .named("host.email", "email.host", Kind::LoTermField)
        .text("Email Hostname", "Email hostnames")
        .category("host"),
    EMAIL
        .named("host.email.tokens", "email.hostTokens", Kind::LoTextField)
        .text("Hostname Tokens", "Email Hostname Tokens")
        .flags(Flags::FAKE),
    EMAIL
        .named("email.x-mailer", "email.useragent", Kind::TermField)
        .text("X-Mailer Header", "Email X-Mailer header"),
    EMAIL
        .named("email.src", "email.src", Kind::LoTermField)
        .text("Sender", "Email from address")
        .category("user"),
    EMAIL
        .named("email.dst", "email.dst", Kind::LoTermField)
        .text("Receiver", "Email to address")
        .category("user"),
    EMAIL
        .named("email.subject", "email.subject", Kind::TermField)
        .text("Subject", "Email subject header")
        .flags(Flags::CNT.and(Flags::FORCE_UTF8)),
    EMAIL
        .named("email.message-id", "email.id", Kind::TermField)
        .text("Id", "Email Message-Id header"),
    EMAIL
        .named("email.content-type", "email.contentType", Kind::TermField)
        .text("Content-Type", "Email content-type header"),
    EMAIL
        .named("email.mime-version", "email.mimeVersion", Kind::TermField)
        .text("Mime-Version", "Email Mime-Version header"),
    EMAIL
        .named("email.fn", "email.filename", Kind::TermField)
        .text("Filenames", "Email attachment filenames")
        .flags(Flags::CNT.and(Flags::FORCE_UTF8)),
    EMAIL
        .named("email.md5", "email.md5", Kind::TermField)
        .text("Attach MD5s", "Email attachment MD5s")
        .category("md5"),
];

/// `email.sha256`, defined when `supportSha256` is on.
pub const SHA256: FieldSpec = EMAIL
    .named("email.sha256", "email.sha256", Kind::TermField)
    .text("Attach SHA256s", "Email attachment SHA256s")
    .category("sha256");

/// The email fields defined after `email.sha256`, in Arkime's order.
pub const MORE_FIELDS: [FieldSpec; 8] = [
    EMAIL
        .named(
            "email.file-content-type",
            "email.fileContentType",
            Kind::TermField,
        )
        .text("Attach Content-Type", "Email attachment content types"),
    EMAIL
        .named("ip.email", "email.ip", Kind::Ip)
        .text("IP", "Email IP address")
        .ty(FieldType::IpGHash)
        .category("ip"),
    EMAIL
        .named("email.has-header", "email.header", Kind::LoTermField)
        .text("Header", "Email has the header set"),
    EMAIL
        .named(
            "email.has-header.name",
            "email.headerField",
            Kind::TermField,
        )
        .text("Header Field", "Email has the header field set")
        .ty(FieldType::StrArray)
        .flags(Flags::NODB),
    EMAIL
        .named(
            "email.has-header.value",
            "email.headerValue",
            Kind::TermField,
        )
        .text("Header Value", "Email has the header value")
        .ty(FieldType::StrArray),
    EMAIL
        .named("email.bodymagic", "email.bodyMagic", Kind::TermField)
        .text(
            "Body Magic",
            "The content type of body determined by libfile/magic",
        ),
    EMAIL
        .named("email.smtp-hello", "email.smtpHello", Kind::LoTermField)
        .text("SMTP Hello", "SMTP HELO/EHLO"),
    EMAIL
        .named("email.folder", "email.folder", Kind::TermField)
        .text("Folder", "Email folder/mailbox name"),
];

/// Defines the email fields (once; later calls return the same ids).
pub fn define(f: &mut FieldRegistry, sha256: bool) -> EmailIds {
    let [host, _, ua, src, dst, subject, id, content_type, mime_version, filename, md5] =
        f.define_all(&FIELDS);
    let sha256 = sha256.then(|| f.define_spec(&SHA256));
    let [_, ip, has_header, header_field, header_value, magic, hello, folder] =
        f.define_all(&MORE_FIELDS);
    let user = f.by_expression("user").unwrap_or(FieldId::MAX);
    EmailIds {
        host,
        ua,
        src,
        dst,
        subject,
        id,
        content_type,
        mime_version,
        filename,
        md5,
        sha256,
        ip,
        has_header,
        header_field,
        header_value,
        magic,
        hello,
        folder,
        user,
    }
}
