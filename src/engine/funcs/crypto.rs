//! Template functions: Sprig's crypto and random functions.
//!
//! All randomness comes from [`FuncCtx::rng`], so a seeded context makes every output (keys,
//! certificates, salts, IVs, UUIDs) reproducible. Outputs that do not depend on randomness
//! (`derivePassword`, `decryptAES` of helm's ciphertexts) match helm's exactly.

use std::any::Any;
use std::collections::BTreeMap;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use hmac::Mac;
use rand::{CryptoRng, RngCore};

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Object, Ty, Value};
use crate::gofunc;

#[path = "crypto_cert.rs"]
mod cert;

pub use cert::Certificate;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("bcrypt", [Ty::String], bcrypt_fn),
    gofunc!("htpasswd", [Ty::String, Ty::String], htpasswd),
    gofunc!("genPrivateKey", [Ty::String], gen_private_key),
    gofunc!(
        "derivePassword",
        [Ty::Uint32, Ty::String, Ty::String, Ty::String, Ty::String],
        derive_password
    ),
    gofunc!(
        "buildCustomCert",
        [Ty::String, Ty::String],
        cert::build_custom_cert
    ),
    gofunc!("genCA", [Ty::String, Ty::Int], cert::gen_ca),
    gofunc!(
        "genCAWithKey",
        [Ty::String, Ty::Int, Ty::String],
        cert::gen_ca_with_key
    ),
    gofunc!(
        "genSelfSignedCert",
        [Ty::String, Ty::List, Ty::List, Ty::Int],
        cert::gen_self_signed
    ),
    gofunc!(
        "genSelfSignedCertWithKey",
        [Ty::String, Ty::List, Ty::List, Ty::Int, Ty::String],
        cert::gen_self_signed_with_key
    ),
    gofunc!(
        "genSignedCert",
        [
            Ty::String,
            Ty::List,
            Ty::List,
            Ty::Int,
            Ty::Object(cert::CERT_TY)
        ],
        cert::gen_signed
    ),
    gofunc!(
        "genSignedCertWithKey",
        [
            Ty::String,
            Ty::List,
            Ty::List,
            Ty::Int,
            Ty::Object(cert::CERT_TY),
            Ty::String
        ],
        cert::gen_signed_with_key
    ),
    gofunc!("encryptAES", [Ty::String, Ty::String], encrypt_aes),
    gofunc!("decryptAES", [Ty::String, Ty::String], decrypt_aes),
    gofunc!("randBytes", [Ty::Int], rand_bytes),
    gofunc!("uuidv4", [], uuidv4),
];

/// The context's random source, presented as the cryptographic generator the RustCrypto crates
/// ask for. Seeded contexts are for reproducible tests; unseeded ones draw from the OS.
pub(crate) struct CtxRng<'a>(pub &'a mut dyn RngCore);

impl RngCore for CtxRng<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for CtxRng<'_> {}

/// Go's `encoding/pem` encoding of one block.
pub(crate) fn pem_encode(kind: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block in `text`: its type and decoded bytes (Go's `pem.Decode`, without
/// header support).
pub(crate) fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let type_end = after.find("-----")?;
        let kind = &after[..type_end];
        let body_start = &after[type_end + 5..];
        let end_marker = format!("-----END {kind}-----");
        if let Some(end) = body_start.find(&end_marker) {
            let body: String = body_start[..end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
                return Some((kind.to_string(), der));
            }
        }
        rest = body_start;
    }
    None
}

/// Go's bcrypt with the default cost (10), producing a `$2a$` hash.
fn bcrypt_hash(ctx: &mut dyn FuncCtx, input: &str) -> String {
    if input.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    let mut salt = [0u8; 16];
    ctx.rng().fill_bytes(&mut salt);
    match bcrypt::hash_with_salt(input, 10, salt) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn s(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn bcrypt_fn(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(bcrypt_hash(ctx, s(&a, 0))))
}

fn htpasswd(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let user = s(&a, 0);
    if user.contains(':') {
        return Ok(Value::from(format!("invalid username: {user}")));
    }
    let hash = bcrypt_hash(ctx, s(&a, 1));
    Ok(Value::from(format!("{user}:{hash}")))
}

const MAX_OUTPUT: i64 = 64 << 20;

fn rand_bytes(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let n = a.first().and_then(Value::as_int).unwrap_or(0);
    if n < 0 {
        return Err(FuncError::msg("runtime error: makeslice: len out of range"));
    }
    if n > MAX_OUTPUT {
        return Err(FuncError::msg(format!(
            "randBytes: result of {n} bytes is too large (limit {MAX_OUTPUT})"
        )));
    }
    let mut buf = vec![0u8; n as usize];
    ctx.rng().fill_bytes(&mut buf);
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(buf),
    ))
}

fn uuidv4(ctx: &mut dyn FuncCtx, _: Vec<Value>) -> FuncResult {
    let mut b = [0u8; 16];
    ctx.rng().fill_bytes(&mut b);
    Ok(Value::from(
        uuid::Builder::from_random_bytes(b)
            .into_uuid()
            .hyphenated()
            .to_string(),
    ))
}

const MP_SEED: &[u8] = b"com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        b'x' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
        _ => b"",
    }
}

/// The Master Password algorithm as Sprig implements it (scrypt N=32768, r=8, p=2).
pub fn master_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(temps) = templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MP_SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let derived = scrypt::Params::new(15, 8, 2, 64)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            scrypt::scrypt(password.as_bytes(), &salt, &p, &mut key).map_err(|e| e.to_string())
        });
    if let Err(e) = derived {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MP_SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = temps[seed[0] as usize % temps.len()].as_bytes();
    temp.iter()
        .enumerate()
        .map(|(i, &c)| {
            let chars = template_chars(c);
            let pick = seed.get(i + 1).copied().unwrap_or(0) as usize;
            chars
                .get(pick % chars.len().max(1))
                .copied()
                .unwrap_or(b'?') as char
        })
        .collect()
}

fn derive_password(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let counter = a.first().and_then(Value::as_int).unwrap_or(0) as u32;
    Ok(Value::from(master_password(
        counter,
        s(&a, 1),
        s(&a, 2),
        s(&a, 3),
        s(&a, 4),
    )))
}

fn gen_private_key(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let typ = s(&a, 0);
    let mut rng = CtxRng(ctx.rng());
    let key = match typ {
        "" | "rsa" => cert::PrivKey::generate_rsa(&mut rng, 4096),
        "dsa" => cert::PrivKey::generate_dsa(&mut rng),
        "ecdsa" => cert::PrivKey::generate_ecdsa(&mut rng),
        "ed25519" => cert::PrivKey::generate_ed25519(&mut rng),
        other => return Ok(Value::from(format!("Unknown type {other}"))),
    };
    Ok(Value::from(match key {
        Ok(k) => k.to_pem(),
        Err(e) => format!("failed to generate private key: {e}"),
    }))
}

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    key
}

fn encrypt_aes(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let plain = s(&a, 1);
    if plain.is_empty() {
        return Ok(Value::from(""));
    }
    let key = aes_key(s(&a, 0));
    let mut iv = [0u8; 16];
    ctx.rng().fill_bytes(&mut iv);
    let enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into());
    let ct = enc.encrypt_padded_vec_mut::<aes::cipher::block_padding::Pkcs7>(plain.as_bytes());
    let mut out = iv.to_vec();
    out.extend(ct);
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(out),
    ))
}

/// Go's `illegal base64 data at input byte N` for strict standard base64 (which ignores CR
/// and LF).
pub(crate) fn go_b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .map_err(|e| {
            let pos = match e {
                base64::DecodeError::InvalidByte(p, _) => p,
                base64::DecodeError::InvalidLastSymbol(p, _) => p,
                base64::DecodeError::InvalidLength(n) => n - n % 4,
                base64::DecodeError::InvalidPadding => cleaned.find('=').unwrap_or(0),
            };
            format!("illegal base64 data at input byte {pos}")
        })
}

fn decrypt_aes(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let crypt64 = s(&a, 1);
    if crypt64.is_empty() {
        return Ok(Value::from(""));
    }
    let key = aes_key(s(&a, 0));
    let crypt = go_b64_decode(crypt64).map_err(FuncError::msg)?;
    if crypt.len() < 16 {
        return Err(FuncError::msg(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(FuncError::msg("crypto/cipher: input not full blocks"));
    }
    let mut buf = body.to_vec();
    let iv: [u8; 16] = iv.try_into().unwrap_or([0; 16]);
    let dec = cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into());
    let plain = dec
        .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buf)
        .map_err(|_| FuncError::msg("crypto/cipher: input not full blocks"))?
        .to_vec();
    let Some(&last) = plain.last() else {
        return Err(FuncError::msg("runtime error: index out of range [-1]"));
    };
    let keep = plain.len() as i64 - last as i64;
    if keep < 0 {
        return Err(FuncError::msg(format!(
            "runtime error: slice bounds out of range [:{keep}]"
        )));
    }
    Ok(Value::from(
        String::from_utf8_lossy(&plain[..keep as usize]).into_owned(),
    ))
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        cert::CERT_TY
    }
    fn kind_name(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }
    fn format_v(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
    fn to_data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Cert".to_string(), Value::str(&self.cert));
        m.insert("Key".to_string(), Value::str(&self.key));
        Value::map(m)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> Result<String, String> {
        call(&mut TestCtx::default(), name, args)
            .map(|v| v.format_v())
            .map_err(|e| e.to_string())
    }
    fn v(x: &str) -> Value {
        Value::str(x)
    }

    // Expected values are helm 4.1.4's output for the same inputs.
    #[test]
    fn derive_password_matches_helm() {
        assert_eq!(
            master_password(1, "long", "password", "user", "example.com"),
            "ZedaFaxcZaso9*"
        );
        assert_eq!(
            master_password(3, "maximum", "pässword", "üser", "site"),
            "m5])PEypj5jh2YRFqmMv"
        );
        assert_eq!(master_password(1, "pin", "p", "u", "s"), "2461");
        assert_eq!(
            master_password(1, "nope", "p", "u", "s"),
            "cannot find password template nope"
        );
    }

    #[test]
    fn aes_matches_helm() {
        // Ciphertexts produced by helm's encryptAES.
        assert_eq!(
            run(
                "decryptAES",
                vec![
                    v("secretkey"),
                    v("DnInFctHM7GL9hwrDXKvPbsj+KJ4mUIUd2GcG+fzAI4=")
                ]
            )
            .unwrap(),
            "hello world"
        );
        assert_eq!(
            run(
                "decryptAES",
                vec![
                    v("a-very-long-password-that-exceeds-thirty-two-bytes!"),
                    v("rbAoQoqA5km+vgc1sxddYLTDH2klCuOpW+/qPPCup50=")
                ]
            )
            .unwrap(),
            "x"
        );
        let ct = run("encryptAES", vec![v("k"), v("round trip")]).unwrap();
        assert_eq!(
            run("decryptAES", vec![v("k"), v(&ct)]).unwrap(),
            "round trip"
        );
        let errs = [
            ("!!", "illegal base64 data at input byte 0"),
            (
                "YWJj",
                "runtime error: slice bounds out of range [:16] with capacity 3",
            ),
            (
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZh",
                "crypto/cipher: input not full blocks",
            ),
            (
                "MDEyMzQ1Njc4OWFiY2RlZg==",
                "runtime error: index out of range [-1]",
            ),
        ];
        for (input, want) in errs {
            assert_eq!(run("decryptAES", vec![v("k"), v(input)]).unwrap_err(), want);
        }
    }

    #[test]
    fn random_functions() {
        let h = run("bcrypt", vec![v("x")]).unwrap();
        assert_eq!(h.len(), 60);
        assert!(h.starts_with("$2a$10$"));
        assert!(bcrypt::verify("x", &h).unwrap());
        assert_eq!(
            run("bcrypt", vec![v(&"a".repeat(80))]).unwrap(),
            "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
        );
        assert_eq!(
            run("htpasswd", vec![v("a:b"), v("x")]).unwrap(),
            "invalid username: a:b"
        );
        assert_eq!(run("randBytes", vec![Value::Int(3)]).unwrap().len(), 4);
        assert_eq!(
            run("randBytes", vec![Value::Int(-1)]).unwrap_err(),
            "runtime error: makeslice: len out of range"
        );
        let u = run("uuidv4", vec![]).unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        // Seeded: the same context seed gives the same value.
        assert_eq!(u, run("uuidv4", vec![]).unwrap());
        assert_eq!(
            run("genPrivateKey", vec![v("foo")]).unwrap(),
            "Unknown type foo"
        );
    }

    #[test]
    fn small_keys() {
        let ec = run("genPrivateKey", vec![v("ecdsa")]).unwrap();
        assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        let ed = run("genPrivateKey", vec![v("ed25519")]).unwrap();
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let (_, der) = pem_decode(&ed).unwrap();
        assert_eq!(der.len(), 48);
    }
}
