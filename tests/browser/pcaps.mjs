// The regression pcaps the browser tests capture (from ../shared/arkime-regression/pcap),
// in one place: run.sh captures exactly these, and the tests compute every expected
// value from the session documents Arkime wrote for them (pcap/NAME.test).
export const PCAPS = [
  // HTTP
  'http-simple-get', 'http-500-head', 'http-basicauth', 'http-content-gzip', 'http-post-upload',
  'http-100-continue', 'websocket', 'v6-http',
  // DNS
  'dns-udp', 'dns-tcp', 'dns-mx', 'dns-wiresharkrepo', 'dnssec_synthetic', 'dns-dnskey',
  // TLS
  'tls13', 'openssl-tls1_2', 'ssl-selfsign', 'tls-alpn-h2', 'https2-301-get', 'curl-enabled-tls13',
  // mail
  'smtp-originating', 'smtp-subject-utf8-q', 'smtp-starttls', 'imap',
  // others
  'ssh2', 'ftp', 'irc', 'mysql-allow', 'postgres-good', 'SNMPv2c_get_requests', 'wireshark-dhcp', 'gre-sample',
];

// When run as a script: one name per line (run.sh reads them so).
if (import.meta.url === `file://${process.argv[1]}`) console.log(PCAPS.join('\n'));
