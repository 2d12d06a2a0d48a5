//! The types a task parameter can have: how each is read from a run's config (a JSON value),
//! named in `runner tasks` and errors, and shown as a default.

use std::time::Duration;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::spec::suggest::help_for;

/// Why a value is not a valid parameter value.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
}

impl Invalid {
    /// "expected {what}, found {the value's type}".
    pub fn expected(what: &str, value: &Value) -> Invalid {
        Invalid {
            message: format!("expected {what}, found {}", json_type(value)),
            help: None,
        }
    }

    /// Any other problem.
    pub fn new(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Invalid {
        self.help = Some(help.into());
        self
    }
}

/// The type of a JSON value, as a spec writer sees it.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// A type a task parameter can have.
pub trait ParamValue: Sized + Clone + Serialize {
    /// What a spec writes, for `runner tasks` and errors ("an integer", "gru | lstm").
    fn type_name() -> String;
    /// Reads the value from a run's config.
    fn parse(value: &Value) -> Result<Self, Invalid>;
    /// The value as a spec would write it (defaults in `runner tasks`).
    fn show(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ParamValue for bool {
    fn type_name() -> String {
        "a boolean".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        value
            .as_bool()
            .ok_or_else(|| Invalid::expected("a boolean", value))
    }
}

impl ParamValue for String {
    fn type_name() -> String {
        "a string".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        value
            .as_str()
            .map(String::from)
            .ok_or_else(|| Invalid::expected("a string", value))
    }
}

impl ParamValue for f64 {
    fn type_name() -> String {
        "a number".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        value
            .as_f64()
            .ok_or_else(|| Invalid::expected("a number", value))
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn type_name() -> String {
                "a non-negative integer".into()
            }

            fn parse(value: &Value) -> Result<Self, Invalid> {
                value
                    .as_u64()
                    .and_then(|v| <$t>::try_from(v).ok())
                    .ok_or_else(|| Invalid::expected("a non-negative integer", value))
            }
        }
    )*};
}

unsigned!(u32, u64, usize);

impl<T: ParamValue> ParamValue for Option<T> {
    fn type_name() -> String {
        T::type_name()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::Null => Ok(None),
            v => T::parse(v).map(Some),
        }
    }

    fn show(&self) -> String {
        match self {
            Some(v) => v.show(),
            None => "none".into(),
        }
    }
}

/// A string or a list of strings (written either way; always a list inside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names(pub Vec<String>);

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl ParamValue for Names {
    fn type_name() -> String {
        "a string or a list of strings".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        let what = "a string or a list of strings";
        match value {
            Value::String(s) => Ok(Names(vec![s.clone()])),
            Value::Array(items) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| Invalid::expected(what, v))
                })
                .collect::<Result<_, _>>()
                .map(Names),
            other => Err(Invalid::expected(what, other)),
        }
    }
}

/// A duration: a string such as "5ms" or "2h", or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl ParamValue for HumanDuration {
    fn type_name() -> String {
        "a duration such as \"5ms\"".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::String(s) => humantime::parse_duration(s)
                .map(HumanDuration)
                .map_err(|e| {
                    Invalid::new(format!("invalid duration `{s}`: {e}"))
                        .help("write e.g. \"5ms\", \"2s\", \"1m\", or a number of seconds")
                }),
            Value::Number(n) => match n.as_f64() {
                Some(x) if x >= 0.0 && x.is_finite() => {
                    Ok(HumanDuration(Duration::from_secs_f64(x)))
                }
                _ => Err(Invalid::new(format!("invalid duration {n}"))),
            },
            other => Err(Invalid::expected("a duration such as \"5ms\"", other)),
        }
    }
}

/// A parameter whose value is one of a fixed set of names.
pub trait Choice: Copy + Serialize + 'static {
    /// What the values are, in the plural ("algorithms"), for "did you mean" lines.
    const WHAT: &'static str;
    /// Every value with its name, in documentation order.
    fn choices() -> &'static [(&'static str, Self)];

    /// The name of a value.
    fn choice_name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::choices()
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }
}

/// Parses a choice by name; the error names the key and suggests the closest name.
pub fn parse_choice<C: Choice>(value: &Value) -> Result<C, Invalid> {
    let names: Vec<&str> = C::choices().iter().map(|(n, _)| *n).collect();
    let Some(name) = value.as_str() else {
        return Err(Invalid::expected(
            &format!("one of {}", names.join(", ")),
            value,
        ));
    };
    C::choices()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            Invalid::new(format!("unknown {{key}} `{name}`")).help(help_for(name, &names, C::WHAT))
        })
}

/// Implements [`ParamValue`] for types that implement [`Choice`].
macro_rules! choice_param {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::task::params::value::ParamValue for $t {
            fn type_name() -> String {
                <$t as $crate::task::params::value::Choice>::choices()
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(" | ")
            }

            fn parse(value: &serde_json::Value) -> Result<Self, $crate::task::params::value::Invalid> {
                $crate::task::params::value::parse_choice(value)
            }

            fn show(&self) -> String {
                format!("\"{}\"", $crate::task::params::value::Choice::choice_name(*self))
            }
        }
    )*};
}
pub(crate) use choice_param;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_parse_or_say_what_was_expected() {
        assert_eq!(usize::parse(&json!(3)), Ok(3));
        assert_eq!(
            usize::parse(&json!(-1)).unwrap_err().message,
            "expected a non-negative integer, found an integer"
        );
        assert_eq!(f64::parse(&json!(2)), Ok(2.0));
        assert_eq!(
            bool::parse(&json!("yes")).unwrap_err().message,
            "expected a boolean, found a string"
        );
        assert_eq!(Names::parse(&json!("a")), Ok(Names(vec!["a".into()])));
        assert_eq!(Option::<usize>::parse(&json!(null)), Ok(None));
        assert_eq!(
            HumanDuration::parse(&json!("5ms")).unwrap().0,
            Duration::from_millis(5)
        );
        assert_eq!(HumanDuration(Duration::from_millis(5)).show(), "\"5ms\"");
        assert!(HumanDuration::parse(&json!("5 parsecs")).is_err());
    }
}
