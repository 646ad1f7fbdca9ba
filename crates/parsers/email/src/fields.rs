//! The email fields SMTP and IMAP share (Arkime defines them in smtp.c; imap.c
//! repeats the ones it uses).

use trawl_fields::{flags, FieldId, FieldRegistry, FieldType};

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

#[allow(clippy::too_many_arguments)]
fn def(
    f: &mut FieldRegistry,
    kind: &str,
    exp: &str,
    friendly: &str,
    db: &str,
    help: &str,
    ty: FieldType,
    fl: u32,
    category: Option<&str>,
) -> FieldId {
    let id = f.define("email", kind, exp, friendly, db, help, ty, fl);
    if let Some(c) = category {
        f.set_category(id, c);
    }
    id
}

/// Defines the email fields (once; later calls return the same ids).
pub fn define(f: &mut FieldRegistry, sha256: bool) -> EmailIds {
    use FieldType::{IpGHash, StrArray, StrHash};
    let cnt = flags::CNT;
    let host = def(
        f,
        "lotermfield",
        "host.email",
        "Email Hostname",
        "email.host",
        "Email hostnames",
        StrHash,
        cnt,
        Some("host"),
    );
    def(
        f,
        "lotextfield",
        "host.email.tokens",
        "Hostname Tokens",
        "email.hostTokens",
        "Email Hostname Tokens",
        StrHash,
        flags::FAKE,
        None,
    );
    let ua = def(
        f,
        "termfield",
        "email.x-mailer",
        "X-Mailer Header",
        "email.useragent",
        "Email X-Mailer header",
        StrHash,
        cnt,
        None,
    );
    let src = def(
        f,
        "lotermfield",
        "email.src",
        "Sender",
        "email.src",
        "Email from address",
        StrHash,
        cnt,
        Some("user"),
    );
    let dst = def(
        f,
        "lotermfield",
        "email.dst",
        "Receiver",
        "email.dst",
        "Email to address",
        StrHash,
        cnt,
        Some("user"),
    );
    let subject = def(
        f,
        "termfield",
        "email.subject",
        "Subject",
        "email.subject",
        "Email subject header",
        StrHash,
        cnt | flags::FORCE_UTF8,
        None,
    );
    let id = def(
        f,
        "termfield",
        "email.message-id",
        "Id",
        "email.id",
        "Email Message-Id header",
        StrHash,
        cnt,
        None,
    );
    let content_type = def(
        f,
        "termfield",
        "email.content-type",
        "Content-Type",
        "email.contentType",
        "Email content-type header",
        StrHash,
        cnt,
        None,
    );
    let mime_version = def(
        f,
        "termfield",
        "email.mime-version",
        "Mime-Version",
        "email.mimeVersion",
        "Email Mime-Version header",
        StrHash,
        cnt,
        None,
    );
    let filename = def(
        f,
        "termfield",
        "email.fn",
        "Filenames",
        "email.filename",
        "Email attachment filenames",
        StrHash,
        cnt | flags::FORCE_UTF8,
        None,
    );
    let md5 = def(
        f,
        "termfield",
        "email.md5",
        "Attach MD5s",
        "email.md5",
        "Email attachment MD5s",
        StrHash,
        cnt,
        Some("md5"),
    );
    let sha256 = sha256.then(|| {
        def(
            f,
            "termfield",
            "email.sha256",
            "Attach SHA256s",
            "email.sha256",
            "Email attachment SHA256s",
            StrHash,
            cnt,
            Some("sha256"),
        )
    });
    def(
        f,
        "termfield",
        "email.file-content-type",
        "Attach Content-Type",
        "email.fileContentType",
        "Email attachment content types",
        StrHash,
        cnt,
        None,
    );
    let ip = def(
        f,
        "ip",
        "ip.email",
        "IP",
        "email.ip",
        "Email IP address",
        IpGHash,
        cnt,
        Some("ip"),
    );
    let has_header = def(
        f,
        "lotermfield",
        "email.has-header",
        "Header",
        "email.header",
        "Email has the header set",
        StrHash,
        cnt,
        None,
    );
    let header_field = def(
        f,
        "termfield",
        "email.has-header.name",
        "Header Field",
        "email.headerField",
        "Email has the header field set",
        StrArray,
        flags::NODB,
        None,
    );
    let header_value = def(
        f,
        "termfield",
        "email.has-header.value",
        "Header Value",
        "email.headerValue",
        "Email has the header value",
        StrArray,
        cnt,
        None,
    );
    let magic = def(
        f,
        "termfield",
        "email.bodymagic",
        "Body Magic",
        "email.bodyMagic",
        "The content type of body determined by libfile/magic",
        StrHash,
        cnt,
        None,
    );
    let hello = def(
        f,
        "lotermfield",
        "email.smtp-hello",
        "SMTP Hello",
        "email.smtpHello",
        "SMTP HELO/EHLO",
        StrHash,
        cnt,
        None,
    );
    let folder = def(
        f,
        "termfield",
        "email.folder",
        "Folder",
        "email.folder",
        "Email folder/mailbox name",
        StrHash,
        cnt,
        None,
    );
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
