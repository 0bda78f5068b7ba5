//! The `MEMORY` block of a NuttX board's `scripts/memory.ld`, where a
//! protected build's partitions are written down (for example
//! `boards/arm/tiva/lm3s6965-ek/scripts/memory.ld`):
//!
//! ```text
//! kflash (rx)  : ORIGIN = 0x00000000, LENGTH = 128K
//! uflash (rx)  : ORIGIN = 0x00020000, LENGTH = 128K
//! ksram (rwx)  : ORIGIN = 0x20000000, LENGTH = 20K
//! usram (rwx)  : ORIGIN = 0x20005000, LENGTH = 20K
//! xsram (rwx)  : ORIGIN = 0x2000a000, LENGTH = 24K
//! ```
//!
//! By NuttX's convention a region named `k...` is the kernel's, `u...` the
//! user blob's and `x...` what is left over (heaps); one without `w` in its
//! attributes is flash. The expressions are GNU ld's (`ld` manual, "MEMORY
//! Command", "Expressions"): numbers in C notation (a leading `0` is octal)
//! with an optional `K` or `M`, `+ - * /`, parentheses, and `ORIGIN(r)`,
//! `LENGTH(r)` of a region named before.

use std::path::{Path, PathBuf};

use crate::position::{InputError, Located, Source};

/// Who a region belongs to, by the first letter of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `k...`: the kernel's.
    Kernel,
    /// `u...`: the user blob's.
    User,
    /// `x...`: left over, for heaps.
    Extra,
    /// Any other name (`itcm`, `sram2`).
    Other,
}

/// One region of the `MEMORY` block.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    pub name: String,
    /// As written between the parentheses, e.g. `rx`.
    pub attributes: String,
    /// Address of the first byte.
    pub origin: u64,
    /// Bytes.
    pub length: u64,
    /// 1-based line of the region's name.
    pub line: usize,
}

impl Region {
    pub fn end(&self) -> u64 {
        self.origin + self.length
    }

    pub fn role(&self) -> Role {
        match self.name.as_bytes().first() {
            Some(b'k') => Role::Kernel,
            Some(b'u') => Role::User,
            Some(b'x') => Role::Extra,
            _ => Role::Other,
        }
    }

    /// Flash (or memory NuttX treats as flash): not writable. In GNU ld's
    /// attributes a `!` inverts those after it (`ld` manual, "MEMORY
    /// Command"): `(!w)` is read-only, `(rx!w)` too.
    pub fn is_flash(&self) -> bool {
        let (set, inverted) = self
            .attributes
            .split_once('!')
            .unwrap_or((&self.attributes, ""));
        !set.contains(['w', 'W']) || inverted.contains(['w', 'W'])
    }
}

/// A `MEMORY` block, the regions in the order written.
#[derive(Clone, Debug)]
pub struct MemoryLd {
    pub path: PathBuf,
    pub regions: Vec<Region>,
}

/// `memory.ld` could not be read, or is not what NuttX boards write.
pub type MemoryLdError = InputError;

impl MemoryLd {
    pub fn read(path: &Path) -> Result<MemoryLd, MemoryLdError> {
        crate::position::read_text(path, |text, path| Ok(MemoryLd::parse(text, path)?))
    }

    /// Parses the `MEMORY` block of `text`, the contents of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<MemoryLd, Located> {
        let source = Source { text, path };
        let code = without_comments(text);
        if let Some(at) = preprocessor_directive(&code) {
            return Err(source.error(
                at..at,
                "",
                "a C preprocessor directive: NuttX preprocesses this file when it builds; \
                 read the preprocessed memory.ld.tmp of a built tree",
            ));
        }
        let mut lexer = Lexer {
            code: &code,
            at: 0,
            source: &source,
        };
        lexer.find_memory()?;
        lexer.expect("{")?;
        let mut regions: Vec<Region> = Vec::new();
        while !lexer.eat("}") {
            let region = lexer.region(&regions)?;
            regions.push(region);
        }
        Ok(MemoryLd {
            path: path.to_owned(),
            regions,
        })
    }

    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// The regions of `role` that are flash (`true`) or RAM (`false`).
    pub fn of(&self, role: Role, flash: bool) -> impl Iterator<Item = &Region> {
        self.regions
            .iter()
            .filter(move |r| r.role() == role && r.is_flash() == flash && r.length > 0)
    }
}

/// The bytes of `text` from the `MEMORY` keyword to its block's closing
/// `}`, comments skipped: what a writer replaces to rewrite the regions
/// and keep the rest of the file (its licence header, `SECTIONS`).
pub fn memory_block(text: &str) -> Option<std::ops::Range<usize>> {
    let code = without_comments(text);
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let bytes = code.as_bytes();
    let start = code.match_indices("MEMORY").map(|(at, _)| at).find(|&at| {
        (at == 0 || !is_word(bytes[at - 1])) && bytes.get(at + 6).is_none_or(|&c| !is_word(c))
    })?;
    let open = start + code[start..].find('{')?;
    let close = open + code[open..].find('}')?;
    Some(start..close + 1)
}

/// `text` with every `/* ... */` comment replaced by spaces (newlines
/// kept), so that byte offsets still point into the original.
fn without_comments(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start + 2..]
            .find("*/")
            .map_or(rest.len(), |e| start + e + 4);
        for c in rest[start..end].chars() {
            match c {
                '\n' => code.push('\n'),
                c => code.extend(std::iter::repeat_n(' ', c.len_utf8())),
            }
        }
        rest = &rest[end..];
    }
    code.push_str(rest);
    code
}

/// The offset of the first line that starts with `#`.
fn preprocessor_directive(code: &str) -> Option<usize> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('#') {
            return Some(offset + indent);
        }
        offset += line.len();
    }
    None
}

struct Lexer<'a> {
    code: &'a str,
    at: usize,
    source: &'a Source<'a>,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        let rest = &self.code[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    /// The error at byte `at` (an operator whose result is out of range).
    fn error_at(&self, at: usize, key: &str, message: &str) -> Located {
        self.source.error(at..at, key, message)
    }

    /// The error at the next token.
    fn error(&self, key: &str, message: String) -> Located {
        let rest = &self.code[self.at..];
        let at = self.at + rest.len() - rest.trim_start().len();
        self.source.error(at..at, key, message)
    }

    fn found(&self) -> String {
        let rest = self.code[self.at..].trim_start();
        match rest.split_whitespace().next() {
            None => "the end of the file".to_owned(),
            Some(word) => format!("{:?}", word.chars().take(24).collect::<String>()),
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.code[self.at..].starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), Located> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error("", format!("expected `{token}`, found {}", self.found())))
        }
    }

    fn word(&mut self) -> Option<&str> {
        self.skip_space();
        let rest = &self.code[self.at..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.at += len;
        Some(&rest[..len])
    }

    /// Moves past the `MEMORY` keyword.
    fn find_memory(&mut self) -> Result<(), Located> {
        while self.at < self.code.len() {
            match self.word() {
                Some("MEMORY") => return Ok(()),
                Some(_) => {}
                None => {
                    self.at += self.code[self.at..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8)
                }
            }
        }
        Err(self
            .source
            .error(0..0, "", "expected a MEMORY block, found none"))
    }

    /// `name (attributes) : ORIGIN = expr, LENGTH = expr`.
    fn region(&mut self, before: &[Region]) -> Result<Region, Located> {
        self.skip_space();
        let name_at = self.at;
        let Some(name) = self.word().map(str::to_owned) else {
            return Err(self.error(
                "",
                format!(
                    "expected a region such as `uflash (rx) : ORIGIN = 0x20000, LENGTH = 128K` \
                     or `}}`, found {}",
                    self.found()
                ),
            ));
        };
        let (line, _) = crate::position::line_column(self.source.text, name_at);
        let mut attributes = String::new();
        if self.eat("(") {
            let rest = &self.code[self.at..];
            let close = rest
                .find(')')
                .ok_or_else(|| self.error(&name, "expected `)` after the attributes".to_owned()))?;
            attributes = rest[..close].trim().to_owned();
            self.at += close + 1;
        }
        self.expect(":")?;
        let origin = self.assignment(&name, &["ORIGIN", "org", "o"], before)?;
        self.eat(",");
        let length = self.assignment(&name, &["LENGTH", "len", "l"], before)?;
        self.eat(",");
        if origin.checked_add(length).is_none_or(|end| end > 1 << 32) {
            return Err(self.source.error(
                name_at..name_at,
                name,
                format!(
                    "ORIGIN {origin:#x} + LENGTH {length:#x} lies past the 32-bit address space"
                ),
            ));
        }
        if let Some(earlier) = before.iter().find(|r| r.name == name) {
            return Err(self.source.error(
                name_at..name_at,
                name,
                format!("region named twice (first at line {})", earlier.line),
            ));
        }
        Ok(Region {
            name,
            attributes,
            origin,
            length,
            line,
        })
    }

    /// `KEYWORD = expression`, any spelling of `keywords`.
    fn assignment(
        &mut self,
        region: &str,
        keywords: &[&str],
        before: &[Region],
    ) -> Result<u64, Located> {
        let at = self.at;
        match self.word() {
            Some(word) if keywords.contains(&word) => {}
            _ => {
                self.at = at;
                return Err(self.error(
                    region,
                    format!("expected `{} = ...`, found {}", keywords[0], self.found()),
                ));
            }
        }
        self.expect("=")?;
        let key = format!("{region}.{}", keywords[0]);
        self.sum(&key, before)
    }

    fn sum(&mut self, key: &str, before: &[Region]) -> Result<u64, Located> {
        let mut value = self.product(key, before)?;
        loop {
            self.skip_space();
            let operator = self.at;
            if self.eat("+") {
                let rhs = self.product(key, before)?;
                value = value
                    .checked_add(rhs)
                    .ok_or_else(|| self.error_at(operator, key, "the sum overflows"))?;
            } else if self.eat("-") {
                let rhs = self.product(key, before)?;
                value = value
                    .checked_sub(rhs)
                    .ok_or_else(|| self.error_at(operator, key, "the difference is negative"))?;
            } else {
                return Ok(value);
            }
        }
    }

    fn product(&mut self, key: &str, before: &[Region]) -> Result<u64, Located> {
        let mut value = self.term(key, before)?;
        loop {
            self.skip_space();
            let operator = self.at;
            if self.eat("*") {
                let rhs = self.term(key, before)?;
                value = value
                    .checked_mul(rhs)
                    .ok_or_else(|| self.error_at(operator, key, "the product overflows"))?;
            } else if self.eat("/") {
                let rhs = self.term(key, before)?;
                value = value
                    .checked_div(rhs)
                    .ok_or_else(|| self.error_at(operator, key, "division by zero"))?;
            } else {
                return Ok(value);
            }
        }
    }

    fn term(&mut self, key: &str, before: &[Region]) -> Result<u64, Located> {
        if self.eat("(") {
            let value = self.sum(key, before)?;
            self.expect(")")?;
            return Ok(value);
        }
        self.skip_space();
        let at = self.at;
        let expected = |lexer: &Self| {
            lexer.error(
                key,
                format!(
                    "expected a number (0x20000, 131072, 128K), ORIGIN(region) or LENGTH(region), found {}",
                    lexer.found()
                ),
            )
        };
        let Some(word) = self.word().map(str::to_owned) else {
            return Err(expected(self));
        };
        if word == "ORIGIN" || word == "LENGTH" {
            self.expect("(")?;
            let name = self.word().map(str::to_owned).unwrap_or_default();
            self.expect(")")?;
            let region = before.iter().find(|r| r.name == name).ok_or_else(|| {
                self.error(
                    key,
                    format!("{word}({name}): no region {name:?} is named before it"),
                )
            })?;
            return Ok(if word == "ORIGIN" {
                region.origin
            } else {
                region.length
            });
        }
        number(&word).ok_or_else(|| {
            self.at = at;
            expected(self)
        })
    }
}

/// A number in ld's notation: `0x`/`0X` hexadecimal, a leading `0` octal,
/// otherwise decimal; then an optional `K` (2^10) or `M` (2^20).
fn number(word: &str) -> Option<u64> {
    let (digits, scale) = match word.as_bytes().last()? {
        b'K' | b'k' => (&word[..word.len() - 1], 1 << 10),
        b'M' | b'm' => (&word[..word.len() - 1], 1 << 20),
        _ => (word, 1),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    value.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<MemoryLd, Located> {
        MemoryLd::parse(text, Path::new("memory.ld"))
    }

    /// The block's span skips a `MEMORY` in a comment and one inside a
    /// longer word, and ends at the block's `}`.
    #[test]
    fn finds_the_memory_block_span() {
        let text = "/* MEMORY { x } */\nMY_MEMORY = 1;\nMEMORY\n{\n  /* } */\n  \
                    kflash (rx) : ORIGIN = 0, LENGTH = 1K\n}\nSECTIONS {}\n";
        let span = memory_block(text).unwrap();
        assert!(text[span.clone()].starts_with("MEMORY\n{\n  /* } */"));
        assert!(text[span.clone()].ends_with("LENGTH = 1K\n}"));
        assert_eq!(&text[span.end..], "\nSECTIONS {}\n");
        assert_eq!(memory_block("SECTIONS { }"), None);
    }

    #[test]
    fn reads_a_nuttx_protected_memory_block() {
        let memory = parse(
            "/* header\n * comment */\nMEMORY\n{\n    /* 256Kb FLASH */\n\n\
             \x20 kflash (rx)      : ORIGIN = 0x00000000, LENGTH = 128K\n\
             \x20 uflash (rx)      : ORIGIN = 0x00020000, LENGTH = 128K\n\
             \x20 xflash (rx)      : ORIGIN = 0x00040000, LENGTH = 0K\n\
             \x20 ksram (rwx)      : ORIGIN = 0x20000000, LENGTH = 20K /* note */\n\
             \x20 usram (rwx)      : ORIGIN = 0x20005000, LENGTH = 20K\n\
             \x20 xsram (rwx)      : ORIGIN = 0x2000a000, LENGTH = 240K - 8K * 27\n\
             \x20 sram2(rwx) : org = ORIGIN(usram) + LENGTH(usram), len = (1M)/512\n}\n\
             _ram_size = LENGTH(ksram);\n",
        )
        .unwrap();
        let names: Vec<_> = memory.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "kflash", "uflash", "xflash", "ksram", "usram", "xsram", "sram2"
            ]
        );
        let uflash = memory.region("uflash").unwrap();
        assert_eq!(
            (uflash.origin, uflash.length, uflash.line),
            (0x20000, 0x20000, 8)
        );
        assert_eq!((uflash.role(), uflash.is_flash()), (Role::User, true));
        assert_eq!(
            memory.region("xsram").unwrap().length,
            240 * 1024 - 8 * 1024 * 27
        );
        let sram2 = memory.region("sram2").unwrap();
        assert_eq!((sram2.origin, sram2.length), (0x2000a000, 2048));
        assert_eq!(sram2.role(), Role::Other);
        assert_eq!(memory.region("ksram").unwrap().role(), Role::Kernel);
        assert!(!memory.region("ksram").unwrap().is_flash());
        let inverted = MemoryLd::parse(
            "MEMORY {\n  uflash (!w) : ORIGIN = 0, LENGTH = 1K\n  \
             usram (rw!x) : ORIGIN = 0x20000000, LENGTH = 1K\n}\n",
            std::path::Path::new("memory.ld"),
        )
        .unwrap();
        assert!(inverted.region("uflash").unwrap().is_flash());
        assert!(!inverted.region("usram").unwrap().is_flash());
        let user_ram: Vec<_> = memory.of(Role::User, false).map(|r| &r.name).collect();
        assert_eq!(user_ram, ["usram"]);
        assert_eq!(
            memory.of(Role::Extra, true).count(),
            0,
            "zero-length xflash is skipped"
        );
    }

    #[test]
    fn numbers_follow_ld() {
        assert_eq!(number("010"), Some(8));
        assert_eq!(number("0X1f"), Some(31));
        assert_eq!(number("2M"), Some(2 << 20));
        assert_eq!(number("0"), Some(0));
        assert_eq!(number("09"), None);
        assert_eq!(number("K"), None);
    }

    #[test]
    fn errors_point_at_the_cause() {
        let cases = [
            (
                "SECTIONS {}\n",
                "memory.ld:1:1: expected a MEMORY block, found none",
            ),
            (
                "MEMORY\n{\n  a (rx) : ORIGIN = 0x0, LENGTH = FLASH_SIZE\n}\n",
                "memory.ld:3:35: `a.LENGTH`: expected a number (0x20000, 131072, 128K), ORIGIN(region) or LENGTH(region), found \"FLASH_SIZE\"",
            ),
            (
                "MEMORY\n{\n  a (rx) : LENGTH = 1K\n}\n",
                "memory.ld:3:12: `a`: expected `ORIGIN = ...`, found \"LENGTH\"",
            ),
            (
                "MEMORY\n{\n  a (rx) : ORIGIN = ORIGIN(b), LENGTH = 1K\n}\n",
                "memory.ld:3:30: `a.ORIGIN`: ORIGIN(b): no region \"b\" is named before it",
            ),
            (
                "MEMORY\n{\n  a : ORIGIN = 0xffffff00, LENGTH = 1K\n}\n",
                "memory.ld:3:3: `a`: ORIGIN 0xffffff00 + LENGTH 0x400 lies past the 32-bit address space",
            ),
            (
                "MEMORY\n{\n  a : ORIGIN = 0, LENGTH = 1K - 2K\n  b : ORIGIN = 0, LENGTH = 1K\n}\n",
                "memory.ld:3:31: `a.LENGTH`: the difference is negative",
            ),
            (
                "#include <x.h>\nMEMORY {}\n",
                "memory.ld:1:1: a C preprocessor directive: NuttX preprocesses this file when it builds; read the preprocessed memory.ld.tmp of a built tree",
            ),
            (
                "MEMORY\n{\n  a : ORIGIN = 0, LENGTH = 1K\n  a : ORIGIN = 0, LENGTH = 1K\n}\n",
                "memory.ld:4:3: `a`: region named twice (first at line 3)",
            ),
            (
                "MEMORY\n{\n  a : ORIGIN = 0, LENGTH = 1K\n",
                "memory.ld:4:1: expected a region such as `uflash (rx) : ORIGIN = 0x20000, LENGTH = 128K` or `}`, found the end of the file",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), expected, "{text:?}");
        }
    }
}
