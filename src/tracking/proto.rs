//! The few protocol-buffer encodings TensorBoard's records need, written by hand: varints,
//! field keys, doubles, floats and length-delimited fields (strings, bytes, messages).

/// A message being written.
#[derive(Debug, Default, Clone)]
pub struct Message(pub Vec<u8>);

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Message {
    fn key(&mut self, field: u32, wire: u8) {
        varint(&mut self.0, (u64::from(field) << 3) | u64::from(wire));
    }

    /// An integer field (int32, int64, enum).
    pub fn int(mut self, field: u32, v: i64) -> Self {
        self.key(field, 0);
        varint(&mut self.0, v as u64);
        self
    }

    /// A double field.
    pub fn double(mut self, field: u32, v: f64) -> Self {
        self.key(field, 1);
        self.0.extend(v.to_le_bytes());
        self
    }

    /// A float field.
    pub fn float(mut self, field: u32, v: f32) -> Self {
        self.key(field, 5);
        self.0.extend(v.to_le_bytes());
        self
    }

    /// A bytes field.
    pub fn bytes(mut self, field: u32, v: &[u8]) -> Self {
        self.key(field, 2);
        varint(&mut self.0, v.len() as u64);
        self.0.extend(v);
        self
    }

    /// A string field.
    pub fn string(self, field: u32, v: &str) -> Self {
        self.bytes(field, v.as_bytes())
    }

    /// A message field.
    pub fn message(self, field: u32, m: &Message) -> Self {
        self.bytes(field, &m.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_the_protobuf_wire_format() {
        // Examples of the protobuf encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing".
        assert_eq!(Message::default().int(1, 150).0, [0x08, 0x96, 0x01]);
        let s = Message::default().string(2, "testing").0;
        assert_eq!(s[..2], [0x12, 0x07]);
        assert_eq!(&s[2..], b"testing");
        assert_eq!(Message::default().double(1, 1.0).0[0], 0x09);
        assert_eq!(Message::default().float(2, 1.0).0, [0x15, 0, 0, 0x80, 0x3f]);
        assert_eq!(
            Message::default().int(2, -1).0.len(),
            11,
            "negative int64: ten bytes"
        );
    }
}
