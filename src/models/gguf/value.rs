//! The values of GGUF metadata: the twelve scalar and array types of the format (v3).

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// Any unsigned integer type (u8, u16, u32, u64).
    Uint(u64),
    /// Any signed integer type (i8, i16, i32, i64).
    Int(i64),
    /// f32 or f64.
    Float(f64),
    /// bool.
    Bool(bool),
    /// A string (UTF-8; invalid bytes replaced).
    Str(String),
    /// An array of one type.
    Array(Vec<MetaValue>),
}

impl MetaValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetaValue::Uint(v) => Some(v),
            MetaValue::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            MetaValue::Float(v) => Some(v),
            MetaValue::Uint(v) => Some(v as f64),
            MetaValue::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an array, if it is one.
    pub fn as_array(&self) -> Option<&[MetaValue]> {
        match self {
            MetaValue::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A short description for messages (`u32 576`, `array of 49152`).
    pub fn describe(&self) -> String {
        match self {
            MetaValue::Uint(v) => format!("{v}"),
            MetaValue::Int(v) => format!("{v}"),
            MetaValue::Float(v) => format!("{v}"),
            MetaValue::Bool(v) => format!("{v}"),
            MetaValue::Str(s) if s.len() > 60 => {
                format!("{:?}...", &s[..s.floor_char_boundary(60)])
            }
            MetaValue::Str(s) => format!("{s:?}"),
            MetaValue::Array(a) => format!("array of {}", a.len()),
        }
    }
}

/// The type codes of GGUF metadata values.
pub mod code {
    /// u8.
    pub const U8: u32 = 0;
    /// i8.
    pub const I8: u32 = 1;
    /// u16.
    pub const U16: u32 = 2;
    /// i16.
    pub const I16: u32 = 3;
    /// u32.
    pub const U32: u32 = 4;
    /// i32.
    pub const I32: u32 = 5;
    /// f32.
    pub const F32: u32 = 6;
    /// bool (one byte).
    pub const BOOL: u32 = 7;
    /// A string: u64 length, bytes.
    pub const STRING: u32 = 8;
    /// An array: u32 element type, u64 length, elements.
    pub const ARRAY: u32 = 9;
    /// u64.
    pub const U64: u32 = 10;
    /// i64.
    pub const I64: u32 = 11;
    /// f64.
    pub const F64: u32 = 12;
}

/// The fewest bytes one value of type `code` takes in a file (for bounding counts before
/// anything is allocated), or `None` for an unknown type.
pub fn min_size(code: u32) -> Option<u64> {
    Some(match code {
        code::U8 | code::I8 | code::BOOL => 1,
        code::U16 | code::I16 => 2,
        code::U32 | code::I32 | code::F32 => 4,
        code::U64 | code::I64 | code::F64 | code::STRING => 8,
        code::ARRAY => 12,
        _ => return None,
    })
}
