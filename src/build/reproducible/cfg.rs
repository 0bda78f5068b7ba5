//! Cargo's `cfg(...)` target keys (`[target.'cfg(target_os = "none")']`),
//! evaluated against the target's configuration as `rustc --print cfg`
//! reports it, so that mcu-build knows whether cargo applies a
//! `target.<cfg>.rustflags` key. The grammar is the Rust reference's
//! configuration predicate
//! (<https://doc.rust-lang.org/reference/conditional-compilation.html>):
//! `name`, `name = "value"`, `all(...)`, `any(...)`, `not(...)`.

/// Whether `expression` (the text inside `cfg(...)`) holds for a target
/// with `cfgs` (lines `name` or `name="value"`); `None` when it is not a
/// predicate cargo would accept.
pub fn matches(expression: &str, cfgs: &[String]) -> Option<bool> {
    let mut parser = Parser {
        rest: expression,
        cfgs,
    };
    let value = parser.predicate()?;
    parser.rest.trim().is_empty().then_some(value)
}

struct Parser<'a> {
    rest: &'a str,
    cfgs: &'a [String],
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// Consumes `token` if it comes next.
    fn eat(&mut self, token: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn identifier(&mut self) -> Option<&str> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (name, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(name)
    }

    fn string(&mut self) -> Option<&str> {
        self.skip_space();
        let body = self.rest.strip_prefix('"')?;
        let end = body.find('"')?;
        self.rest = &body[end + 1..];
        Some(&body[..end])
    }

    fn predicate(&mut self) -> Option<bool> {
        let name = self.identifier()?.to_owned();
        if self.eat('(') {
            let mut values = Vec::new();
            while !self.eat(')') {
                values.push(self.predicate()?);
                if !self.eat(',') {
                    self.eat(')').then_some(())?;
                    break;
                }
            }
            return match name.as_str() {
                "all" => Some(values.iter().all(|v| *v)),
                "any" => Some(values.iter().any(|v| *v)),
                "not" if values.len() == 1 => Some(!values[0]),
                _ => None,
            };
        }
        if self.eat('=') {
            let value = self.string()?;
            let wanted = format!("{name}=\"{value}\"");
            return Some(self.cfgs.contains(&wanted));
        }
        Some(self.cfgs.contains(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_hold_as_rustc_evaluates_them() {
        let cfgs: Vec<String> = [
            "target_arch=\"arm\"",
            "target_os=\"none\"",
            "debug_assertions",
        ]
        .map(String::from)
        .into();
        let holds = |e: &str| matches(e, &cfgs);
        assert_eq!(holds("target_arch = \"arm\""), Some(true));
        assert_eq!(holds("target_arch=\"riscv32\""), Some(false));
        assert_eq!(holds("debug_assertions"), Some(true));
        assert_eq!(holds("unix"), Some(false));
        assert_eq!(
            holds("all(target_arch = \"arm\", target_os = \"none\",)"),
            Some(true)
        );
        assert_eq!(holds("all()"), Some(true));
        assert_eq!(holds("any(unix, windows)"), Some(false));
        assert_eq!(holds("not(any(unix, windows))"), Some(true));
        assert_eq!(holds("not(unix, windows)"), None);
        assert_eq!(holds("all(unix"), None);
        assert_eq!(holds("unix trailing"), None);
    }
}
