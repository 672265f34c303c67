/* admin/adm_table.c — every ringward-admin command: options and usage text. */
#include "admin/adm_table.h"

#include "admin/adm_cmds.h"
#include "admin/adm_remote_cmds.h"

#define COMMON {"data-dir", true}, {"passphrase-file", true}, {"server", true}, \
    {"cert", true}, {"key", true}, {"ca", true}, {"server-ca", true}

static const struct adm_opt init_opts[] = {
    COMMON, {"insecure-dev-keys", false}, {"key-alg", true}, {"org", true}, {NULL, false}};
static const struct adm_opt ca_init_opts[] = {
    COMMON, {"cn", true}, {"org", true}, {"path-len", true}, {"ttl", true}, {"key-alg", true},
    {"insecure-dev-keys", false}, {"json", false}, {NULL, false}};
static const struct adm_opt list_opts[] = {COMMON, {"json", false}, {NULL, false}};
static const struct adm_opt plain_opts[] = {COMMON, {NULL, false}};
static const struct adm_opt intermediate_opts[] = {
    COMMON, {"parent-ca", true}, {"cn", true}, {"org", true}, {"path-len", true},
    {"ttl", true}, {"key-alg", true}, {NULL, false}};
static const struct adm_opt issue_opts[] = {
    COMMON, {"principal", true}, {"role", true}, {"ca-id", true}, {"san", true},
    {"ttl", true}, {"key-alg", true}, {"out", true}, {NULL, false}};
static const struct adm_opt sign_opts[] = {
    COMMON, {"principal", true}, {"role", true}, {"ca-id", true}, {"ttl", true},
    {"out", true}, {NULL, false}};
static const struct adm_opt revoke_opts[] = {COMMON, {"reason", true}, {NULL, false}};
static const struct adm_opt certs_list_opts[] = {
    COMMON, {"json", false}, {"role", true}, {"principal", true}, {"status", true},
    {"ca-id", true}, {"expiring-within", true}, {NULL, false}};
static const struct adm_opt show_opts[] = {COMMON, {"json", false}, {NULL, false}};
static const struct adm_opt export_opts[] = {
    COMMON, {"out", true}, {"all", false}, {"output", true}, {"force", false}, {"json", false},
    {"page-size", true}, {NULL, false}};
static const struct adm_opt crl_opts[] = {
    COMMON, {"ca", true}, {"der", false}, {"out", true}, {NULL, false}};
static const struct adm_opt events_opts[] = {
    COMMON, {"json", false}, {"since", true}, {"follow", false}, {NULL, false}};
static const struct adm_opt tokens_opts[] = {
    COMMON, {"principal", true}, {"role", true}, {"ttl", true}, {"json", false}, {NULL, false}};
static const struct adm_opt approve_opts[] = {COMMON, {"ttl", true}, {NULL, false}};
static const struct adm_opt reject_opts[] = {COMMON, {"reason", true}, {NULL, false}};
static const struct adm_opt renew_opts[] = {
    COMMON, {"out", true}, {"before", true}, {"ttl", true}, {"key-alg", true},
    {"revoke-old", false}, {NULL, false}};
static const struct adm_opt request_opts[] = {
    COMMON, {"principal", true}, {"role", true}, {"token", true}, {"out", true},
    {"no-wait", false}, {"poll-interval", true}, {"max-wait", true}, {NULL, false}};
static const struct adm_opt acl_add_opts[] = {
    COMMON, {"principal", true}, {"topic", true}, {"op", true}, {"allow", false},
    {"deny", false}, {NULL, false}};
static const struct adm_opt acl_check_opts[] = {
    COMMON, {"principal", true}, {"topic", true}, {"op", true}, {NULL, false}};
static const struct adm_opt verify_opts[] = {
    {"ca", true}, {"cert", true}, {"untrusted", true}, {"crl", true}, {"at", true},
    {"purpose", true}, {"name", true}, {"max-depth", true}, {"json", false}, {NULL, false}};

#define DATA_HELP \
    "  --data-dir DIR          the data directory (default ./data)\n"
#define REMOTE_HELP \
    "  --server HOST:PORT      run over the admin RPC (else $RINGWARD_SERVER; offline\n" \
    "                          on the data directory when neither is set)\n" \
    "  --cert/--key FILE       admin certificate (default DATA/pki/admin.pem, admin.key)\n" \
    "  --ca FILE               CA bundle for the server (default DATA/pki/ca-chain.pem)\n"
#define PASS_HELP \
    "  --passphrase-file FILE  CA key passphrase (else $RINGWARD_CA_PASSPHRASE)\n"

const struct adm_cmd adm_commands[] = {
    {"init", NULL, "create a CA hierarchy and demo identities in a data directory",
     "usage: ringward-admin init [--data-dir DIR] [--passphrase-file FILE | --insecure-dev-keys]\n"
     "                           [--key-alg p256|p384|ed25519|rsa3072] [--org NAME]\n\n"
     "Creates DIR/ringward.db with a root CA ('root-ca', path length 1) and an intermediate\n"
     "CA ('intermediate-ca', the default issuer), then issues certificates for broker\n"
     "(localhost, 127.0.0.1, ::1), admin, producer-1 and consumer-1, and writes\n"
     "  DIR/pki/root-ca.pem DIR/pki/intermediate-ca.pem DIR/pki/ca-chain.pem\n"
     "  DIR/pki/NAME.pem DIR/pki/NAME.key (mode 0600)\n"
     "CA keys stay in the store, encrypted with the passphrase (PKCS#8, AES-256-CBC).\n"
     "An initialised directory is refused and left unchanged.\n\n" DATA_HELP PASS_HELP
     "  --insecure-dev-keys     store CA keys in plaintext (development only; warned on use)\n"
     "  --key-alg ALG           CA key algorithm (default p256)\n"
     "  --org NAME              organisation in the CA subjects (default Ringward)\n\n"
     "It also seeds the ACL rules the demo needs (each an acl.added event):\n"
     "  allow producer-1 produce demo.*    allow consumer-1 consume demo.*\n"
     "  allow admin all *                  allow admin all cluster\n",
     init_opts, adm_cmd_init, NULL},
    {"ca", "init", "create a root CA (offline only; creates the store when absent)",
     "usage: ringward-admin ca init --cn NAME [--org O] [--path-len 1] [--ttl 10y|3650d]\n"
     "                              [--key-alg p256|p384|ed25519|rsa3072] [--json]\n"
     "                              [--data-dir DIR] [--passphrase-file FILE | --insecure-dev-keys]\n\n"
     "Makes a self-signed root CA whose id is a unique slug of NAME ('Acme Root' ->\n"
     "acme-root) and writes DATA/pki/ID.pem. Its key is made here and kept only in the\n"
     "store, encrypted with the passphrase. Without a store one is created holding just\n"
     "this root (`init` makes a whole demo hierarchy instead); add an issuing CA with\n"
     "`ca intermediate --parent-ca ID`. With a store the root joins the existing\n"
     "hierarchy (a ca.created event). It is refused over --server: a root key is made\n"
     "only where the store is.\n\n"
     "  --path-len N   intermediates allowed below the root (default 1; -1 = no limit)\n"
     "  --ttl D        lifetime (default 10 years)\n\n" DATA_HELP PASS_HELP
     "  --insecure-dev-keys  new store only: CA keys in plaintext (development only)\n",
     ca_init_opts, adm_cmd_ca_init, NULL},
    {"ca", "list", "list CAs",
     "usage: ringward-admin ca list [--json] [--data-dir DIR]\n", list_opts, adm_cmd_ca_list, adm_rpc_cmd_ca_list},
    {"ca", "intermediate", "create an intermediate CA under a parent CA",
     "usage: ringward-admin ca intermediate --parent-ca ID --cn NAME [--path-len N] [--org O]\n"
     "                                      [--ttl 5y|1825d] [--key-alg ALG]\n\n"
     "The new CA's id is a slug of NAME (e.g. 'Production CA' -> production-ca).\n"
     "Its lifetime is clipped to the parent's.\n\n" DATA_HELP PASS_HELP,
     intermediate_opts, adm_cmd_ca_intermediate, adm_rpc_cmd_ca_intermediate},
    {"ca", "show", "print a CA's chain (PEM, the CA first)",
     "usage: ringward-admin ca show ID [--data-dir DIR]\n", plain_opts, adm_cmd_ca_show, adm_rpc_cmd_ca_show},
    {"ca", "disable", "stop a CA issuing (it stays trusted until revoked)",
     "usage: ringward-admin ca disable ID [--data-dir DIR]\n", plain_opts, adm_cmd_ca_disable, adm_rpc_cmd_ca_disable},
    {"certs", "issue", "issue a certificate with a server-generated key",
     "usage: ringward-admin certs issue --principal P --role broker|producer|consumer|admin\n"
     "                                  [--ca-id ID] [--san NAME]... [--ttl 90d]\n"
     "                                  [--key-alg ALG] [--out DIR]\n\n"
     "Writes DIR/P.pem, DIR/P.key (0600, the only copy: the key is never stored) and\n"
     "DIR/ca-chain.pem; DIR defaults to DATA/pki. --san takes DNS:name, IP:addr or a bare\n"
     "name or address (broker certificates only).\n\n" DATA_HELP PASS_HELP,
     issue_opts, adm_cmd_certs_issue, adm_rpc_cmd_certs_issue},
    {"certs", "sign-csr", "sign a PKCS#10 request (PEM or DER)",
     "usage: ringward-admin certs sign-csr FILE --role R [--principal P] [--ca-id ID]\n"
     "                                     [--ttl 90d] [--out FILE]\n\n"
     "The CSR's signature must verify. Only its public key, its CN (the principal) and,\n"
     "for brokers, its DNS/IP names are used; extensions come from the role's profile.\n"
     "Writes the certificate to FILE, or to standard output.\n\n" DATA_HELP PASS_HELP,
     sign_opts, adm_cmd_certs_sign_csr, adm_rpc_cmd_certs_sign_csr},
    {"certs", "revoke", "revoke a certificate",
     "usage: ringward-admin certs revoke SERIAL [--reason REASON]\n\n"
     "SERIAL is hex as `openssl x509 -serial` prints it. REASON is an RFC 5280 name:\n"
     "unspecified (default), keyCompromise, cACompromise, affiliationChanged, superseded,\n"
     "cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise.\n"
     "Revoking an intermediate CA's certificate rejects every chain through it.\n\n" DATA_HELP,
     revoke_opts, adm_cmd_certs_revoke, adm_rpc_cmd_certs_revoke},
    {"certs", "list", "list certificates",
     "usage: ringward-admin certs list [--role R] [--principal P] [--ca-id ID]\n"
     "                                 [--status active|revoked|expired] [--json]\n\n" DATA_HELP,
     certs_list_opts, adm_cmd_certs_list, adm_rpc_cmd_certs_list},
    {"certs", "show", "show one certificate and its PEM",
     "usage: ringward-admin certs show SERIAL [--json]\n\n" DATA_HELP, show_opts,
     adm_cmd_certs_show, adm_rpc_cmd_certs_show},
    {"certs", "export", "write certificates as PEM: one with its chain, or all as a .tar.gz",
     "usage: ringward-admin certs export SERIAL --out DIR [--force] [--json]\n"
     "       ringward-admin certs export --all --output FILE.tar.gz [--force] [--json]\n"
     "                                   [--page-size N]\n\n"
     "Writes certificates as PEM, offline from the data directory or, with --server,\n"
     "over the admin RPC (the same files either way). No private key is ever exported:\n"
     "leaf keys are never stored (`certs issue` shows its key once) and CA keys never\n"
     "leave the store.\n\n"
     "One certificate (SERIAL is hex, as `openssl x509 -serial` prints it):\n"
     "  DIR/P.pem         the certificate; P is its principal (its serial when the\n"
     "                    principal is not a plain file name)\n"
     "  DIR/ca-chain.pem  its issuer's chain up to the root, the issuer first\n"
     "the layout of `certs issue` without the key, ready for\n"
     "  openssl verify -CAfile root-ca.pem -untrusted DIR/ca-chain.pem DIR/P.pem\n\n"
     "Every certificate (--all): one gzip'd tar, for a backup or an inventory:\n"
     "  ca/ID.pem         each CA's certificate, named by CA id\n"
     "  certs/SERIAL.pem  every certificate in the store, the rows of `certs list`\n"
     "                    (CA certificates included, role \"ca\")\n"
     "  index.json        {\"format\":\"ringward-certs-export\",\"version\":1,\"created_at\":T,\n"
     "                     \"cas\":[{id,cn,parent,serial,disabled,file}],\n"
     "                     \"certs\":[{serial,principal,role,ca,status,not_before,\n"
     "                     not_after,issued_at,revocation_reason,revoked_at,file}]}\n"
     "                    a certs entry is the object of `certs list --json` plus its\n"
     "                    file; status (active, revoked, expired) is the one at export;\n"
     "                    revocation_reason and revoked_at only for a revoked one\n"
     "The archive is created mode 0600: it holds no secret, but it is a complete\n"
     "inventory of identities, roles and revocations; chmod it to share it.\n\n"
     "Files are written whole or not at all (a temporary file in the same folder,\n"
     "renamed into place). An existing file is refused unless --force, except one\n"
     "that already holds exactly the bytes to be written, which is left alone (so\n"
     "certificates of one CA can be exported into one folder). An unknown serial is\n"
     "an error and writes nothing.\n\n"
     "  --out DIR       SERIAL: the folder for P.pem and ca-chain.pem (created)\n"
     "  --all           every certificate instead of one SERIAL\n"
     "  --output FILE   --all: the archive to write, e.g. backup.tar.gz\n"
     "  --force         replace existing files\n"
     "  --json          print what was written as one JSON object (paths, counts)\n"
     "  --page-size N   --all: certificates per store read or per CertsExport request\n"
     "                  (default 100; a server sends at most 200 per page)\n\n"
     "Exit status: 0 written, 1 failure (nothing written), 2 usage error.\n\n"
     DATA_HELP REMOTE_HELP, export_opts, adm_cmd_certs_export, adm_rpc_cmd_certs_export},
    {"crl", "export", "sign and write CRLs",
     "usage: ringward-admin crl export [--ca ID] [--der] [--out FILE]\n\n"
     "Signs a fresh CRL (next CRL number) for one CA, or for every CA when --ca is not\n"
     "given (PEM, concatenated: ready for `openssl verify -crl_check -CRLfile`).\n\n" DATA_HELP
     PASS_HELP, crl_opts, adm_cmd_crl_export, NULL},
    {"events", NULL, "print the audit log, oldest first",
     "usage: ringward-admin events [--since SEQ] [--json]\n\n" DATA_HELP, events_opts,
     adm_cmd_events, adm_rpc_cmd_events},
    {"verify", NULL, "verify any certificate chain (no data directory needed)",
     "usage: ringward-admin verify --ca FILE --cert FILE [--untrusted FILE] [--crl FILE]...\n"
     "                             [--at UNIX_TIME] [--purpose client|server]\n"
     "                             [--name DNS_OR_IP] [--max-depth N] [--json]\n\n"
     "Builds a path from the first certificate of --cert to an anchor in --ca (other\n"
     "certificates of --cert and --untrusted may complete it), then applies Ringward's\n"
     "strict profile and revocation from the CRLs (each verified against its issuer).\n"
     "Server names are matched against the SAN only. Exit 0 and the principal when\n"
     "accepted; exit 1 and the reason when not.\n",
     verify_opts, adm_cmd_verify, NULL},
    {"acl", "add", "add an authorization rule",
     "usage: ringward-admin acl add --principal P --topic PATTERN --op OP[,OP...]\n"
     "                              (--allow | --deny) [--data-dir DIR]\n\n"
     "Adds one rule and prints its id on standard output. Brokers following the store\n"
     "apply it to live connections.\n"
     "  --principal P      an exact principal (the certificate's), '*' for anyone, or\n"
     "                     'name*' for every principal starting with 'name'\n"
     "  --topic PATTERN    a topic name, 'prefix*' (e.g. 'orders.*': every topic starting\n"
     "                     with 'orders.'), '*' (every topic, not the cluster), or\n"
     "                     'cluster' (the cluster itself, for admin operations). Topic\n"
     "                     names are 1..249 characters of A-Z a-z 0-9 . _ -\n"
     "  --op OP[,OP...]    produce, consume, describe, admin, or all\n"
     "  --allow | --deny   the effect; a matching deny always wins over an allow\n\n"
     "What no rule allows is denied. Example:\n"
     "  ringward-admin acl add --principal 'billing-*' --topic 'orders.*' --op consume --allow\n\n"
     DATA_HELP, acl_add_opts, adm_cmd_acl_add, adm_rpc_cmd_acl_add},
    {"acl", "remove", "remove an authorization rule by id",
     "usage: ringward-admin acl remove RULE_ID [--data-dir DIR]\n\n"
     "Removes the rule (ids come from `acl add` and `acl list`; they are never reused)\n"
     "and records an acl.removed event. Exit 1 when no rule has this id.\n\n" DATA_HELP,
     plain_opts, adm_cmd_acl_remove, adm_rpc_cmd_acl_remove},
    {"acl", "list", "list authorization rules, oldest first",
     "usage: ringward-admin acl list [--json] [--data-dir DIR]\n\n"
     "  --json             one JSON array of {id, principal, resource, ops, effect,\n"
     "                     created_at}\n\n" DATA_HELP,
     list_opts, adm_cmd_acl_list, adm_rpc_cmd_acl_list},
    {"acl", "check", "show what the rules decide for one request",
     "usage: ringward-admin acl check --principal P --topic TOPIC --op OP [--data-dir DIR]\n\n"
     "Decides as a broker would: TOPIC is a topic name, or 'cluster' for admin\n"
     "operations; OP is one of produce, consume, describe, admin. Prints the decision\n"
     "and the rule that made it, e.g.\n"
     "  ALLOW by rule 3 (allow producer-1 produce demo.*)\n"
     "  DENY by rule 7 (deny * produce secret.*)\n"
     "  DENY (no matching rule: default deny)\n"
     "Exit status: 0 allowed, 1 denied (or the store could not be read), 2 usage error.\n\n"
     DATA_HELP, acl_check_opts, adm_cmd_acl_check, adm_rpc_cmd_acl_check},
    {"crl", "get", "sign and print one CA's CRL",
     "usage: ringward-admin crl get --ca ID [--der] [--out FILE]\n\n"
     "Signs a fresh CRL for CA ID (offline, or over the admin RPC with --server; the\n"
     "server is then verified with --server-ca FILE, default DATA/pki/ca-chain.pem).\n\n"
     DATA_HELP REMOTE_HELP, crl_opts, adm_cmd_crl_export, adm_rpc_cmd_crl_get},
    {"tokens", "create", "create a one-time enrollment token",
     "usage: ringward-admin tokens create --principal P --role R [--ttl 1h] [--json]\n\n"
     "Prints a token bound to P and R, usable once until it expires (at most 30d).\n"
     "It is shown only now; the store keeps its SHA-256. --json prints {\"token\": ...}.\n\n"
     DATA_HELP REMOTE_HELP PASS_HELP, tokens_opts, adm_cmd_tokens_create, adm_cmd_tokens_create},
    {"certs", "pending", "list enrollment requests waiting for an operator",
     "usage: ringward-admin certs pending [--json]\n\n" DATA_HELP REMOTE_HELP, list_opts,
     adm_cmd_certs_pending, adm_cmd_certs_pending},
    {"certs", "approve", "approve an enrollment request: sign its CSR",
     "usage: ringward-admin certs approve ID [--ttl 90d]\n\n"
     "Signs the request's CSR with the default issuing CA for the principal and role it\n"
     "asked for; the machine's next `certs request` run collects the certificate.\n\n"
     DATA_HELP REMOTE_HELP PASS_HELP, approve_opts,
     adm_cmd_certs_approve, adm_cmd_certs_approve},
    {"certs", "reject", "reject an enrollment request",
     "usage: ringward-admin certs reject ID [--reason TEXT]\n\n"
     "The machine's next `certs request` run exits 127 and removes its key and CSR.\n\n"
     DATA_HELP REMOTE_HELP, reject_opts,
     adm_cmd_certs_reject, adm_cmd_certs_reject},
    {"certs", "request", "enroll this machine: local key + CSR, submit, poll (remote)",
     "usage: ringward-admin certs request --principal P --role R --out DIR [--token T]\n"
     "                                    [--no-wait] [--poll-interval 5s] [--max-wait 1h]\n"
     "                                    --server HOST:PORT --ca CA_BUNDLE\n\n"
     "Makes DIR/P.key (0600, never sent) and a CSR, submits it without a client\n"
     "certificate, and writes DIR/P.pem and DIR/ca-chain.pem once it is signed: at once\n"
     "with a valid token, else when an operator runs `certs approve`. Re-running resumes\n"
     "a pending request with the same key; a valid certificate for the key is left alone.\n"
     "Exit status: 0 issued or unchanged, 1 locked by another run, 69 still pending\n"
     "(--no-wait), 127 any other error (a rejected request removes its key and CSR).\n",
     request_opts, adm_cmd_certs_request, adm_cmd_certs_request},
    {"certs", "renew", "renew a certificate with itself: new local key, RenewSelf (remote)",
     "usage: ringward-admin certs renew --cert FILE --key FILE [--out DIR] [--before 2/3]\n"
     "                                  [--ttl 90d] [--key-alg ALG] [--revoke-old]\n"
     "                                  --server HOST:PORT [--ca CA_BUNDLE]\n\n"
     "Makes a new private key here (the current key's algorithm unless --key-alg; it\n"
     "never leaves this machine) and a CSR for the same principal, and asks the broker to\n"
     "sign it over mTLS authenticated by the current certificate. The role stays; the\n"
     "new certificate records the one it replaces, which is superseded (still valid\n"
     "until it expires) unless --revoke-old. `certs show` prints the lineage.\n\n"
     "Without --out the certificate and key are replaced in place and ca-chain.pem is\n"
     "written next to the certificate; with --out DIR: DIR/P.pem, DIR/P.key (0600) and\n"
     "DIR/ca-chain.pem. Files are written as NAME.new and renamed, key first; a run\n"
     "interrupted between the renames is completed by the next run. KEY.lock is\n"
     "flock'ed so two runs cannot race.\n\n"
     "  --before F   renew only once the fraction F of the lifetime has passed (2/3,\n"
     "               0.75 or 75%); before that print when it is due and change nothing.\n"
     "               Made for a systemd timer or cron: run it daily.\n\n"
     "Exit status: 0 renewed or not yet due, 1 locked by another run, 127 any other\n"
     "error (nothing replaced). A revoked or expired certificate cannot renew: enroll\n"
     "again with `certs request`.\n",
     renew_opts, adm_cmd_certs_renew, adm_cmd_certs_renew},
    {"status", NULL, "show the server's version, uptime, event seq and counters (remote)",
     "usage: ringward-admin status [--json]\n\n" REMOTE_HELP, list_opts, adm_cmd_status,
     adm_cmd_status},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
