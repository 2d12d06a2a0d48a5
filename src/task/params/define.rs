//! `params!`: declares a task kind's parameters once — each field's name, type, default and
//! one-line doc — and generates the struct (serde `Serialize`, `Default`), its documentation
//! for `runner tasks`, and the parsing of a run's config with errors that name the key.
//!
//! ```ignore
//! params! {
//!     /// Parameters of the `tokenizer` task.
//!     pub struct TokenizerParams {
//!         include split: SplitParams;
//!         /// bpe or wordpiece
//!         pub model: TokenizerModel = TokenizerModel::Bpe;
//!         /// target vocabulary size
//!         pub vocab_size: usize = 8000;
//!         /// the reader to use (a spec must set it; the default is the CLI's)
//!         pub reader: ReaderKind = ReaderKind::Neural, required;
//!     }
//! }
//! ```
//! `include` embeds another parameter set's keys (a spec writes them at the same level).

/// Declares a parameter set (see the module documentation).
macro_rules! params {
    (
        $(#[doc = $sdoc:literal])*
        pub struct $name:ident {
            $(include $gname:ident : $gty:ty ;)*
            $(
                $(#[doc = $doc:literal])+
                pub $field:ident : $fty:ty = $default:expr $(, $req:ident)? ;
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name {
            $(
                #[doc = concat!("Parameters of [`", stringify!($gty), "`].")]
                #[serde(flatten)]
                pub $gname: $gty,
            )*
            $(
                $(#[doc = $doc])+
                pub $field: $fty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $($gname: Default::default(),)*
                    $($field: $default,)*
                }
            }
        }

        impl $crate::task::params::ParamSet for $name {
            fn specs() -> Vec<$crate::task::params::ParamSpec> {
                #[allow(unused_mut)]
                let mut specs = vec![$(
                    $crate::task::params::ParamSpec {
                        name: stringify!($field),
                        type_name: <$fty as $crate::task::params::ParamValue>::type_name(),
                        default: $crate::task::params::define::params!(@default $fty, $default $(, $req)?),
                        doc: $crate::task::params::one_line(&[$($doc),+]),
                        required_unless: None,
                    },
                )*];
                $(specs.extend(<$gty as $crate::task::params::ParamSet>::specs());)*
                specs
            }

            fn from_config(
                config: &serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, $crate::task::params::ParamError> {
                #[allow(unused_variables)]
                let defaults = <Self as Default>::default();
                Ok(Self {
                    $($gname: <$gty as $crate::task::params::ParamSet>::from_config(config)?,)*
                    $($field: match config.get(stringify!($field)) {
                        None => defaults.$field,
                        Some(v) => $crate::task::params::parse_key(stringify!($field), v)?,
                    },)*
                })
            }

            fn check_value(
                key: &str,
                value: &serde_json::Value,
            ) -> Option<Result<(), $crate::task::params::ParamError>> {
                $(
                    if key == stringify!($field) {
                        return Some(
                            $crate::task::params::parse_key::<$fty>(key, value).map(|_| ()),
                        );
                    }
                )*
                $(
                    if let Some(r) = <$gty as $crate::task::params::ParamSet>::check_value(key, value) {
                        return Some(r);
                    }
                )*
                None
            }
        }
    };
    (@default $fty:ty, $default:expr, required) => { None };
    (@default $fty:ty, $default:expr) => {{
        let value: $fty = $default;
        Some($crate::task::params::ParamValue::show(&value))
    }};
}
pub(crate) use params;

#[cfg(test)]
mod tests {

    use crate::task::params::ParamSet;
    use serde_json::{json, Map};

    params! {
        /// A test set.
        pub struct Inner {
            /// inner width
            pub width: usize = 4;
        }
    }

    params! {
        /// Another.
        pub struct Outer {
            include inner: Inner;
            /// a rate
            /// over two lines
            pub rate: f64 = 0.5;
            /// a name, required
            pub name: String = String::new(), required;
        }
    }

    #[test]
    fn a_set_documents_parses_and_checks_its_keys() {
        let specs = Outer::specs();
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert_eq!(names, ["rate", "name", "width"]);
        assert_eq!(specs[0].doc, "a rate over two lines");
        assert_eq!(specs[0].default.as_deref(), Some("0.5"));
        assert_eq!(specs[1].default, None);
        let config = json!({"rate": 2, "width": 8, "seed": 0, "name": "x"});
        let p = Outer::from_config(config.as_object().unwrap()).unwrap();
        assert_eq!((p.rate, p.inner.width, p.name.as_str()), (2.0, 8, "x"));
        let d = Outer::from_config(&Map::new()).unwrap();
        assert_eq!((d.rate, d.inner.width), (0.5, 4));
        let e = Outer::from_config(json!({"width": "wide"}).as_object().unwrap()).unwrap_err();
        assert_eq!(e.key, "width");
        assert_eq!(e.message, "expected a non-negative integer, found a string");
        assert!(Outer::check_value("width", &json!(3)).unwrap().is_ok());
        assert!(Outer::check_value("nope", &json!(3)).is_none());
        let serialized = serde_json::to_value(&d).unwrap();
        let keys: Vec<&String> = serialized.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.len(),
            names.len(),
            "serde sees every documented parameter"
        );
    }
}
