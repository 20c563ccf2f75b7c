//! Property tests: the decoders take arbitrary bytes and never panic.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use proptest::prelude::*;
use rqtop::rq::decode;
use rqtop::rq::pickle;

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, bytes).unwrap();
    z.finish().unwrap()
}

/// `('labjobs.add', None, (2, 3), {})` pickled by Python 3.11 with protocol 5, as RQ does.
const RQ_CALL: &[u8] = b"\x80\x05\x95\x1b\x00\x00\x00\x00\x00\x00\x00(\x8c\x0blabjobs.add\x94NK\x02K\x03\x86\x94}\x94t\x94.";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::call(&bytes);
        let _ = decode::call(&zlib(&bytes));
        let _ = decode::payload(&bytes);
        let _ = pickle::decode(&bytes);
        let _ = decode::exc_string(&bytes);
        let _ = decode::exc_info(&bytes);
        let _ = decode::timestamp(&String::from_utf8_lossy(&bytes));
        let _ = decode::epoch(&String::from_utf8_lossy(&bytes));
        let _ = decode::wip_member(&String::from_utf8_lossy(&bytes));
        let _ = decode::field_display(&bytes);
    }

    #[test]
    fn pickle_prefixed(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = vec![0x80, 0x05];
        bytes.extend(tail);
        let _ = pickle::decode(&bytes);
        let _ = decode::call(&zlib(&bytes));
    }

    #[test]
    fn mutated_rq_pickles(pos in 0..RQ_CALL.len(), byte in any::<u8>(), cut in 0..RQ_CALL.len()) {
        let mut bytes = RQ_CALL.to_vec();
        bytes[pos] = byte;
        if let Ok(v) = pickle::decode(&bytes) {
            let _ = v.repr();
        }
        let _ = decode::call(&zlib(&bytes[..cut]));
    }
}

#[test]
fn the_fixture_is_a_real_rq_call() {
    let call = decode::call(&zlib(RQ_CALL)).expect("decodes");
    assert_eq!(call.func_name.as_deref(), Some("labjobs.add"));
    assert_eq!(call.args_repr, vec!["2", "3"]);
}
