use super::*;
use PyValue as V;

/// Real pickles from CPython 3.11.7 and the repr() it prints (" at 0x..." removed).
/// `labjobs` is a module in the pickling directory defining
/// `class Greeter: def __init__(self, name): self.name = name`; the other
/// lines ran after `import pickle, datetime, decimal, uuid, collections, zoneinfo, labjobs`.
const FIXTURES: &[(&[u8], &str)] = &[
    (
        // pickle.dumps(("labjobs.add", None, (2, 3), {}), protocol=2)
        b"\x80\x02(X\x0b\x00\x00\x00labjobs.addq\x00NK\x02K\x03\x86q\x01}q\x02tq\x03.",
        r#"('labjobs.add', None, (2, 3), {})"#,
    ),
    (
        // pickle.dumps(("labjobs.add", None, (2, 3), {}), protocol=4)
        b"\x80\x04\x95\x1b\x00\x00\x00\x00\x00\x00\x00(\x8c\x0blabjobs.add\x94NK\x02K\x03\
            \x86\x94}\x94t\x94.",
        r#"('labjobs.add', None, (2, 3), {})"#,
    ),
    (
        // pickle.dumps(("labjobs.add", None, (2, 3), {}), protocol=5)
        b"\x80\x05\x95\x1b\x00\x00\x00\x00\x00\x00\x00(\x8c\x0blabjobs.add\x94NK\x02K\x03\
            \x86\x94}\x94t\x94.",
        r#"('labjobs.add', None, (2, 3), {})"#,
    ),
    (
        // pickle.dumps(("labjobs.report", None, (datetime.datetime(2026, 11, 23, 19, 35, 51, 40728), datetime.datetime(2026, 11, 23, 19, 35, 51, 40728, tzinfo=datetime.timezone.utc), datetime.date(2026, 11, 23), datetime.timedelta(days=1, seconds=5), decimal.Decimal("1.5"), uuid.UUID("12345678-1234-5678-1234-567812345678")), {"when": None}), protocol=5)
        b"\x80\x05\x95\xfe\x00\x00\x00\x00\x00\x00\x00(\x8c\x0elabjobs.report\x94N(\x8c\
            \x08datetime\x94\x8c\x08datetime\x94\x93\x94C\x0a\x07\xea\x0b\x17\x13#3\x00\x9f\
            \x18\x94\x85\x94R\x94h\x03C\x0a\x07\xea\x0b\x17\x13#3\x00\x9f\x18\x94h\x01\x8c\
            \x08timezone\x94\x93\x94h\x01\x8c\x09timedelta\x94\x93\x94K\x00K\x00K\x00\x87\
            \x94R\x94\x85\x94R\x94\x86\x94R\x94h\x01\x8c\x04date\x94\x93\x94C\x04\x07\xea\
            \x0b\x17\x94\x85\x94R\x94h\x0bK\x01K\x05K\x00\x87\x94R\x94\x8c\x07decimal\x94\
            \x8c\x07Decimal\x94\x93\x94\x8c\x031.5\x94\x85\x94R\x94\x8c\x04uuid\x94\x8c\x04\
            UUID\x94\x93\x94)\x81\x94}\x94\x8c\x03int\x94\x8a\x10xV4\x12xV4\x12xV4\x12xV\
            4\x12sbt\x94}\x94\x8c\x04when\x94Nst\x94.",
        r#"('labjobs.report', None, (datetime.datetime(2026, 11, 23, 19, 35, 51, 40728), datetime.datetime(2026, 11, 23, 19, 35, 51, 40728, tzinfo=datetime.timezone.utc), datetime.date(2026, 11, 23), datetime.timedelta(days=1, seconds=5), Decimal('1.5'), UUID('12345678-1234-5678-1234-567812345678')), {'when': None})"#,
    ),
    (
        // pickle.dumps((None, (1, "a"), {"k": [1, 2.5, {"n": None}]}, {1, 2}, frozenset({3}), frozenset(), set(), b"\x00ab'\"\n", 2**100, -2**100, -5, -2**40, -2**63, 2**63, 2**64 - 1, 2.5, 1e100, 1e-7, float("nan"), float("-inf"), -0.0, 1.0, 123456789012345680.0, 0.0001, True, False), protocol=5)
        b"\x80\x05\x95\xe4\x00\x00\x00\x00\x00\x00\x00(NK\x01\x8c\x01a\x94\x86\x94}\x94\
            \x8c\x01k\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00}\x94\x8c\x01n\x94Nses\
            \x8f\x94(K\x01K\x02\x90(K\x03\x91\x94(\x91\x94\x8f\x94C\x06\x00ab'\"\x0a\x94\
            \x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8a\x0d\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0J\xfb\xff\xff\xff\x8a\x06\x00\x00\
            \x00\x00\x00\xff\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x09\x00\x00\x00\
            \x00\x00\x00\x00\x80\x00\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00G@\x04\x00\
            \x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}G>z\xd7\xf2\x9a\xbc\xafHG\x7f\xf8\x00\
            \x00\x00\x00\x00\x00G\xff\xf0\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\
            \x00\x00G?\xf0\x00\x00\x00\x00\x00\x00GC{i\xb4\xbac\x0f5G?\x1a6\xe2\xeb\x1cC\
            -\x88\x89t\x94.",
        r#"(None, (1, 'a'), {'k': [1, 2.5, {'n': None}]}, {1, 2}, frozenset({3}), frozenset(), set(), b'\x00ab\'"\n', 1267650600228229401496703205376, -1267650600228229401496703205376, -5, -1099511627776, -9223372036854775808, 9223372036854775808, 18446744073709551615, 2.5, 1e+100, 1e-07, nan, -inf, -0.0, 1.0, 1.2345678901234568e+17, 0.0001, True, False)"#,
    ),
    (
        // pickle.dumps(("hello", labjobs.Greeter("bob"), (), {"loud": True}), protocol=5)
        b"\x80\x05\x95B\x00\x00\x00\x00\x00\x00\x00(\x8c\x05hello\x94\x8c\x07labjobs\x94\
            \x8c\x07Greeter\x94\x93\x94)\x81\x94}\x94\x8c\x04name\x94\x8c\x03bob\x94sb)}\
            \x94\x8c\x04loud\x94\x88st\x94.",
        r#"('hello', <labjobs.Greeter object>, (), {'loud': True})"#,
    ),
    (
        // pickle.dumps(labjobs.Greeter("bob"), protocol=0)
        b"ccopy_reg\x0a_reconstructor\x0ap0\x0a(clabjobs\x0aGreeter\x0ap1\x0ac__builti\
            n__\x0aobject\x0ap2\x0aNtp3\x0aRp4\x0a(dp5\x0aVname\x0ap6\x0aVbob\x0ap7\x0as\
            b.",
        r#"<labjobs.Greeter object>"#,
    ),
    (
        // pickle.dumps(labjobs.Greeter("bob"), protocol=1)
        b"ccopy_reg\x0a_reconstructor\x0aq\x00(clabjobs\x0aGreeter\x0aq\x01c__builtin_\
            _\x0aobject\x0aq\x02Ntq\x03Rq\x04}q\x05X\x04\x00\x00\x00nameq\x06X\x03\x00\x00\
            \x00bobq\x07sb.",
        r#"<labjobs.Greeter object>"#,
    ),
    (
        // x = [1]; pickle.dumps((x, x), protocol=5)
        b"\x80\x05\x95\x0a\x00\x00\x00\x00\x00\x00\x00]\x94K\x01ah\x00\x86\x94.",
        r#"([1], [1])"#,
    ),
    (
        // l = []; l.append(l); pickle.dumps(l, protocol=5)
        b"\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94h\x00a.",
        r#"[[...]]"#,
    ),
    (
        // d = {}; d["a"] = d; pickle.dumps(d, protocol=5)
        b"\x80\x05\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94h\x00s.",
        r#"{'a': {...}}"#,
    ),
    (
        // l = []; t = (l,); l.append(t); pickle.dumps(l, protocol=2)
        b"\x80\x02]q\x00h\x00\x85q\x01a.",
        r#"[([...],)]"#,
    ),
    (
        // pickle.dumps({"a": "b\\\n\u1234\U0001F600", "c": 1.5, "big": 2**70, "n": -5, "t": True}, protocol=0)
        b"(dp0\x0aVa\x0ap1\x0aVb\\u005c\\u000a\\u1234\\U0001f600\x0ap2\x0asVc\x0ap3\x0a\
            F1.5\x0asVbig\x0ap4\x0aL1180591620717411303424L\x0asVn\x0ap5\x0aI-5\x0asVt\x0a\
            p6\x0aI01\x0as.",
        r#"{'a': 'b\\\nሴ😀', 'c': 1.5, 'big': 1180591620717411303424, 'n': -5, 't': True}"#,
    ),
    (
        // pickle.dumps((b"ab\x00", b"", {1, 2}, frozenset({1}), bytearray(b"xy")), protocol=0)
        b"(c_codecs\x0aencode\x0ap0\x0a(Vab\\u0000\x0ap1\x0aVlatin1\x0ap2\x0atp3\x0aRp\
            4\x0ac__builtin__\x0abytes\x0ap5\x0a(tRp6\x0ac__builtin__\x0aset\x0ap7\x0a((\
            lp8\x0aI1\x0aaI2\x0aatp9\x0aRp10\x0ac__builtin__\x0afrozenset\x0ap11\x0a((lp\
            12\x0aI1\x0aatp13\x0aRp14\x0ac__builtin__\x0abytearray\x0ap15\x0a(g0\x0a(Vxy\
            \x0ap16\x0ag2\x0atp17\x0aRp18\x0atp19\x0aRp20\x0atp21\x0a.",
        r#"(b'ab\x00', b'', {1, 2}, frozenset({1}), bytearray(b'xy'))"#,
    ),
    (
        // pickle.dumps((b"ab\x00", b"", {1, 2}, frozenset({1}), bytearray(b"xy"), 2**70), protocol=2)
        b"\x80\x02(c_codecs\x0aencode\x0aq\x00X\x03\x00\x00\x00ab\x00q\x01X\x06\x00\x00\
            \x00latin1q\x02\x86q\x03Rq\x04c__builtin__\x0abytes\x0aq\x05)Rq\x06c__builti\
            n__\x0aset\x0aq\x07]q\x08(K\x01K\x02e\x85q\x09Rq\x0ac__builtin__\x0afrozense\
            t\x0aq\x0b]q\x0cK\x01a\x85q\x0dRq\x0ec__builtin__\x0abytearray\x0aq\x0fh\x00\
            X\x02\x00\x00\x00xyq\x10h\x02\x86q\x11Rq\x12\x85q\x13Rq\x14\x8a\x09\x00\x00\x00\
            \x00\x00\x00\x00\x00@tq\x15.",
        r#"(b'ab\x00', b'', {1, 2}, frozenset({1}), bytearray(b'xy'), 1180591620717411303424)"#,
    ),
    (
        // pickle.dumps((collections.OrderedDict([("a", 1), ("b", 2)]), collections.OrderedDict(), collections.defaultdict(list, {"a": [1]}), collections.Counter("abbccc"), bytearray(b"xy"), complex(1, 2), complex(0, -1.5)), protocol=5)
        b"\x80\x05\x95\xda\x00\x00\x00\x00\x00\x00\x00(\x8c\x0bcollections\x94\x8c\x0b\
            OrderedDict\x94\x93\x94)R\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94K\x02uh\x02)R\x94\
            h\x00\x8c\x0bdefaultdict\x94\x93\x94\x8c\x08builtins\x94\x8c\x04list\x94\x93\
            \x94\x85\x94R\x94h\x04]\x94K\x01ash\x00\x8c\x07Counter\x94\x93\x94}\x94(\x8c\
            \x01a\x94K\x01\x8c\x01b\x94K\x02\x8c\x01c\x94K\x03u\x85\x94R\x94\x96\x02\x00\
            \x00\x00\x00\x00\x00\x00xy\x94h\x09\x8c\x07complex\x94\x93\x94G?\xf0\x00\x00\
            \x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86\x94R\x94h\x19G\x00\x00\x00\
            \x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\x00\x00\x00\x86\x94R\x94t\x94.",
        r#"(OrderedDict([('a', 1), ('b', 2)]), OrderedDict(), defaultdict(<class 'list'>, {'a': [1]}), Counter({'c': 3, 'b': 2, 'a': 1}), bytearray(b'xy'), (1+2j), -1.5j)"#,
    ),
    (
        // pickle.dumps((datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(hours=1))), datetime.datetime(2026, 1, 2, 3, 4, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), datetime.time(19, 35, 51, 40728), datetime.time(1, 2), datetime.datetime(2020, 1, 1, fold=1), datetime.timedelta(0), datetime.timedelta(microseconds=-1), datetime.timezone(datetime.timedelta(0), "UTC")), protocol=5)
        b"\x80\x05\x956\x01\x00\x00\x00\x00\x00\x00(\x8c\x08datetime\x94\x8c\x08dateti\
            me\x94\x93\x94C\x0a\x07\xea\x01\x02\x03\x04\x00\x00\x00\x00\x94h\x00\x8c\x08\
            timezone\x94\x93\x94h\x00\x8c\x09timedelta\x94\x93\x94K\x00M\x10\x0eK\x00\x87\
            \x94R\x94\x85\x94R\x94\x86\x94R\x94h\x02C\x0a\x07\xea\x01\x02\x03\x04\x00\x00\
            \x00\x00\x94\x8c\x08builtins\x94\x8c\x07getattr\x94\x93\x94\x8c\x08zoneinfo\x94\
            \x8c\x08ZoneInfo\x94\x93\x94\x8c\x09_unpickle\x94\x86\x94R\x94\x8c\x0dEurope\
            /Berlin\x94K\x01\x86\x94R\x94\x86\x94R\x94h\x00\x8c\x04time\x94\x93\x94C\x06\
            \x13#3\x00\x9f\x18\x94\x85\x94R\x94h\x1eC\x06\x01\x02\x00\x00\x00\x00\x94\x85\
            \x94R\x94h\x02C\x0a\x07\xe4\x81\x01\x00\x00\x00\x00\x00\x00\x94\x85\x94R\x94\
            h\x07K\x00K\x00K\x00\x87\x94R\x94h\x07J\xff\xff\xff\xffJ\x7fQ\x01\x00J?B\x0f\
            \x00\x87\x94R\x94h\x05h\x07K\x00K\x00K\x00\x87\x94R\x94\x8c\x03UTC\x94\x86\x94\
            R\x94t\x94.",
        r#"(datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600))), datetime.datetime(2026, 1, 2, 3, 4, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin')), datetime.time(19, 35, 51, 40728), datetime.time(1, 2), datetime.datetime(2020, 1, 1, 0, 0, fold=1), datetime.timedelta(0), datetime.timedelta(days=-1, seconds=86399, microseconds=999999), datetime.timezone(datetime.timedelta(0), 'UTC'))"#,
    ),
    (
        // pickle.dumps(("it's", 'say "hi"', "both ' and \"", "tab\there\r\n\x00\x7f\x80\xa0\u00e9\u200b\u2028\U0001F600\U000e0001", "back\\slash", ""), protocol=5)
        b"\x80\x05\x95X\x00\x00\x00\x00\x00\x00\x00(\x8c\x04it's\x94\x8c\x08say \"hi\"\
            \x94\x8c\x0cboth ' and \"\x94\x8c tab\x09here\x0d\x0a\x00\x7f\xc2\x80\xc2\xa0\
            \xc3\xa9\xe2\x80\x8b\xe2\x80\xa8\xf0\x9f\x98\x80\xf3\xa0\x80\x81\x94\x8c\x0a\
            back\\slash\x94\x8c\x00\x94t\x94.",
        r#"("it's", 'say "hi"', 'both \' and "', 'tab\there\r\n\x00\x7f\x80\xa0é\u200b\u2028😀\U000e0001', 'back\\slash', '')"#,
    ),
    (
        // pickle.dumps({"progress": 0.5, "status": "running", "tags": ["a", "b"]}, protocol=5)
        b"\x80\x05\x95?\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x08progress\x94G?\xe0\x00\
            \x00\x00\x00\x00\x00\x8c\x06status\x94\x8c\x07running\x94\x8c\x04tags\x94]\x94\
            (\x8c\x01a\x94\x8c\x01b\x94eu.",
        r#"{'progress': 0.5, 'status': 'running', 'tags': ['a', 'b']}"#,
    ),
    (
        // pickle.dumps((datetime.datetime(2026, 11, 23, 19, 35, 51, 40728, tzinfo=datetime.timezone.utc), decimal.Decimal("-0.01"), uuid.UUID(int=5)), protocol=2)
        b"\x80\x02cdatetime\x0adatetime\x0aq\x00c_codecs\x0aencode\x0aq\x01X\x0c\x00\x00\
            \x00\x07\xc3\xaa\x0b\x17\x13#3\x00\xc2\x9f\x18q\x02X\x06\x00\x00\x00latin1q\x03\
            \x86q\x04Rq\x05cdatetime\x0atimezone\x0aq\x06cdatetime\x0atimedelta\x0aq\x07\
            K\x00K\x00K\x00\x87q\x08Rq\x09\x85q\x0aRq\x0b\x86q\x0cRq\x0dcdecimal\x0aDeci\
            mal\x0aq\x0eX\x05\x00\x00\x00-0.01q\x0f\x85q\x10Rq\x11cuuid\x0aUUID\x0aq\x12\
            )\x81q\x13}q\x14X\x03\x00\x00\x00intq\x15K\x05sb\x87q\x16.",
        r#"(datetime.datetime(2026, 11, 23, 19, 35, 51, 40728, tzinfo=datetime.timezone.utc), Decimal('-0.01'), UUID('00000000-0000-0000-0000-000000000005'))"#,
    ),
    (
        // pickle.dumps((datetime.datetime(2026, 11, 23, 19, 35), datetime.date(2026, 11, 23), 1.5, -7, 2**40), protocol=0)
        b"(cdatetime\x0adatetime\x0ap0\x0a(c_codecs\x0aencode\x0ap1\x0a(V\x07\xea\x0b\x17\
            \x13#\\u0000\\u0000\\u0000\\u0000\x0ap2\x0aVlatin1\x0ap3\x0atp4\x0aRp5\x0atp\
            6\x0aRp7\x0acdatetime\x0adate\x0ap8\x0a(g1\x0a(V\x07\xea\x0b\x17\x0ap9\x0ag3\
            \x0atp10\x0aRp11\x0atp12\x0aRp13\x0aF1.5\x0aI-7\x0aL1099511627776L\x0atp14\x0a\
            .",
        r#"(datetime.datetime(2026, 11, 23, 19, 35), datetime.date(2026, 11, 23), 1.5, -7, 1099511627776)"#,
    ),
    (
        // pickle.dumps((range(3), range(1, 9, 2), collections.defaultdict(int)), protocol=2)
        b"\x80\x02c__builtin__\x0axrange\x0aq\x00K\x00K\x03K\x01\x87q\x01Rq\x02h\x00K\x01\
            K\x09K\x02\x87q\x03Rq\x04ccollections\x0adefaultdict\x0aq\x05c__builtin__\x0a\
            long\x0aq\x06\x85q\x07Rq\x08\x87q\x09.",
        r#"(range(0, 3), range(1, 9, 2), defaultdict(<class 'int'>, {}))"#,
    ),
];

fn dec(b: &[u8]) -> PyValue {
    match decode(b) {
        Ok(v) => v,
        Err(e) => panic!("{e} for {b:?}"),
    }
}

fn s(x: &str) -> PyValue {
    V::Str(x.into())
}

#[test]
fn fixtures_match_python_repr() {
    for (bytes, want) in FIXTURES {
        assert_eq!(dec(bytes).repr(), *want);
    }
}

#[test]
fn rq_job_tuple_structure() {
    let v = dec(FIXTURES[2].0);
    let V::Tuple(items) = &v else { panic!("{v:?}") };
    assert_eq!(items[0].as_str(), Some("labjobs.add"));
    assert_eq!(items[1], V::None);
    assert_eq!(items[2], V::Tuple(vec![V::Int(2), V::Int(3)]));
    assert_eq!(items[3], V::Dict(vec![]));
    assert_eq!(items[1].as_str(), None);
}

#[test]
fn instances_keep_class_and_state() {
    let want = V::Object {
        class: "labjobs.Greeter".into(),
        args: vec![],
        state: Some(Box::new(V::Dict(vec![(s("name"), s("bob"))]))),
    };
    // protocols 0, 1 (copyreg._reconstructor) and 5 (NEWOBJ)
    assert_eq!(dec(FIXTURES[6].0), want);
    assert_eq!(dec(FIXTURES[7].0), want);
    let V::Tuple(items) = dec(FIXTURES[5].0) else {
        panic!()
    };
    assert_eq!(items[1], want);
    // INST and OBJ (handmade protocol 0/1)
    assert_eq!(
        dec(b"(ilabjobs\nGreeter\n(dp0\nVname\np1\nVbob\np2\nsb."),
        want
    );
    let obj = dec(b"(clabjobs\nGreeter\nVbob\no.");
    assert_eq!(obj.repr(), "<labjobs.Greeter object>");
    assert!(matches!(obj, V::Object { args, .. } if args == vec![s("bob")]));
}

#[test]
fn memo_sees_later_mutation() {
    let shared = V::List(vec![V::Int(1)]);
    assert_eq!(dec(FIXTURES[8].0), V::Tuple(vec![shared.clone(), shared]));
    // l = []; t = (l, l); then l.append(7) through the memo: ([7], [7])
    assert_eq!(
        dec(b"]q\x00h\x00\x86q\x01h\x00K\x07a0.").repr(),
        "([7], [7])"
    );
    assert_eq!(dec(FIXTURES[9].0), V::List(vec![V::Recursive]));
}

#[test]
fn protocol0_and_py2_opcodes() {
    // STRING / SHORT_BINSTRING / BINSTRING decode as latin-1 str
    assert_eq!(dec(b"S'a\\'b\\x41\\n'\n."), s("a'bA\n"));
    assert_eq!(dec(b"U\x03ab\xff."), s("ab\u{ff}"));
    assert_eq!(dec(b"T\x02\x00\x00\x00\xe9z."), s("\u{e9}z"));
    let v = dec(b"I01\nI00\nI-12\nL-99999999999999999999L\n\x87.");
    assert_eq!(v.repr(), "(False, -12, -99999999999999999999)");
    assert_eq!(dec(b"(I1\nI2\np5\n0g5\n2l.").repr(), "[1, 2, 2]");
    assert_eq!(dec(b"(N1]N0.").repr(), "[]");
    assert_eq!(
        dec(b"V\\u00e9\\\\u0041\\U0001F600\n."),
        s("\u{e9}\\\\u0041\u{1F600}")
    );
    assert_eq!(dec(b"F1e+100\n.").repr(), "1e+100");
    // py2 module names map to py3 ones
    assert_eq!(
        dec(b"c__builtin__\nset\n(lp0\nI1\naI2\na\x85R.").repr(),
        "{1, 2}"
    );
}

#[test]
fn long_opcodes() {
    assert_eq!(dec(b"\x8a\x00."), V::Int(0));
    assert_eq!(dec(b"\x8a\x01\xff."), V::Int(-1));
    assert_eq!(
        dec(b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."),
        V::Int(i64::MIN)
    );
    let two64 = b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.";
    assert_eq!(dec(two64), V::BigInt("18446744073709551616".into()));
    assert_eq!(
        dec(b"\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xfe.").repr(),
        "-18446744073709551617"
    );
    // beyond CPython's 4300-digit str() limit: hex text, linear time
    let mut big = b"\x8b\xc5\x09\x00\x00".to_vec(); // 2**20000 needs 2501 bytes
    big.extend(std::iter::repeat_n(0u8, 2500));
    big.extend(b"\x01.");
    assert_eq!(dec(&big), V::BigInt(format!("0x1{}", "0".repeat(5000))));
}

#[test]
fn float_repr_matches_python() {
    let cases = [
        (2.5, "2.5"),
        (1.0, "1.0"),
        (1e100, "1e+100"),
        (1e-7, "1e-07"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789.123, "123456789.123"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.00001, "1e-05"),
        (0.0001, "0.0001"),
        (1.5e-5, "1.5e-05"),
        (-1.2345e23, "-1.2345e+23"),
        (9999999999999998.0, "9999999999999998.0"),
    ];
    for (f, want) in cases {
        assert_eq!(V::Float(f).repr(), want);
    }
}

#[test]
fn container_repr_edge_cases() {
    assert_eq!(V::Tuple(vec![V::Int(1)]).repr(), "(1,)");
    assert_eq!(V::Tuple(vec![]).repr(), "()");
    assert_eq!(V::Global("builtins.int".into()).repr(), "<class 'int'>");
    assert_eq!(
        V::Global("labjobs.add".into()).repr(),
        "<class 'labjobs.add'>"
    );
    let mut deep = V::None;
    for _ in 0..1000 {
        deep = V::List(vec![deep]);
    }
    assert!(deep.repr().contains("[...]"));
}

#[test]
fn malformed_inputs_are_errors() {
    let bad: &[&[u8]] = &[
        b"",
        b"N",               // no STOP
        b".",               // empty stack
        b"\x80\x06N.",      // protocol 6
        b"h\x05.",          // unknown memo key
        b"Ne.",             // APPENDS without MARK
        b"(0\x85.",         // TUPLE1 below the mark
        b"(N\x86.",         // TUPLE2 across the mark
        b"Na.",             // APPEND to nothing
        b"KaK\x01a.",       // APPEND to an int
        b"}(Nu.",           // SETITEMS odd
        b"\x82\x01.",       // EXT1
        b"Pid\n.",          // PERSID
        b"NQ.",             // BINPERSID
        b"\x97.",           // NEXT_BUFFER
        b"N\x98.",          // READONLY_BUFFER
        b"\xff.",           // unknown opcode
        b"I12x\n.",         // bad INT
        b"S'abc\n.",        // unterminated STRING
        b"V\\u12\n.",       // short \u escape
        b"K\x01K\x02\x93.", // STACK_GLOBAL of ints
        b"Nb.",             // BUILD with nothing to build
    ];
    for b in bad {
        assert!(decode(b).is_err(), "{b:?}");
    }
    let e = decode(b"NN\xff.").err();
    assert_eq!(
        e.map(|e| e.to_string()),
        Some("pickle: unknown opcode 0xff at byte 2".into())
    );
}

#[test]
fn every_truncation_is_an_error() {
    for (bytes, _) in FIXTURES {
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "prefix {n} of {bytes:?}");
        }
    }
}

#[test]
fn huge_length_claims_do_not_allocate() {
    let mut claims = vec![];
    for op in [0x8du8, 0x8e, 0x96] {
        claims.push([&[op][..], &10_000_000u64.to_le_bytes(), b"abc."].concat());
        claims.push([&[op][..], &u64::MAX.to_le_bytes(), b"abc."].concat());
    }
    for op in [b'X', b'B', b'T', 0x8b] {
        claims.push([&[op][..], &0x7fff_ffffu32.to_le_bytes(), b"abc."].concat());
    }
    claims.push(b"T\xff\xff\xff\xffabc.".to_vec()); // negative length
    for c in claims {
        assert!(decode(&c).is_err(), "{c:?}");
    }
}

#[test]
fn billion_laughs_hits_node_budget() {
    // L0 = [None]*10; L(k+1) = [Lk]*10, nested 30 levels via MEMOIZE/BINGET
    let mut p = b"\x80\x05](NNNNNNNNNNe".to_vec();
    for k in 0..30u8 {
        p.extend(b"\x94](");
        for _ in 0..10 {
            p.extend([b'h', k]);
        }
        p.push(b'e');
    }
    p.push(b'.');
    let start = std::time::Instant::now();
    let err = decode(&p).err().map(|e| e.reason);
    assert!(err.is_some_and(|r| r.contains("budget")));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn nesting_limit() {
    let nested = |n: usize| [vec![b']'; n], vec![b'a'; n - 1], vec![b'.']].concat();
    assert!(decode(&nested(201)).is_ok_and(|v| !v.repr().contains("...")));
    assert!(decode(&nested(202)).is_err());
    // 99 nested REDUCE calls: m.f(m.f(...(None,)...),)
    let calls = [
        b"cm\nf\n".repeat(99),
        b"N".to_vec(),
        b"\x85R".repeat(99),
        b".".to_vec(),
    ];
    assert_eq!(dec(&calls.concat()).repr(), "<m.f object>");
}

#[test]
fn ten_megabyte_inputs() {
    let n = 10 << 20;
    let mut blob = [&[0x8e][..], &(n as u64).to_le_bytes()].concat();
    blob.extend(std::iter::repeat_n(b'x', n));
    blob.push(b'.');
    assert!(matches!(dec(&blob), V::Bytes(b) if b.len() == n));
    // 10 MB of single-byte opcodes: capped stack / marks / missing STOP
    for op in [b'N', b'(', b')', b']', b'2', b'0'] {
        assert!(decode(&vec![op; n]).is_err());
    }
    let memo_flood = [&b"N"[..], &vec![0x94; n]].concat();
    assert!(decode(&memo_flood).is_err());
    // many shared references of one big string: byte budget
    let mut p = [&[0x8e][..], &(1u64 << 20).to_le_bytes()].concat();
    p.extend(std::iter::repeat_n(b'y', 1 << 20));
    p.extend(b"\x94(");
    p.extend(std::iter::repeat_n([b'h', 0], 200).flatten());
    p.extend(b"l.");
    assert!(
        decode(&p)
            .err()
            .is_some_and(|e| e.reason.contains("budget"))
    );
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    // opcode-heavy alphabet so that the machine gets past the first byte
    let alphabet = b"\x80\x95.(0123NIJKLMFGSTUVXBC]aelt)\x85\x86\x87}dsu\x8f\x90\x91ghjpqr\x94c\x93Rb\x81\x92io\x88\x89\x8a\x8b\x8c\x8d\x8e\x96\x00\x01\x02\n'";
    for i in 0..20_000 {
        let len = rng.below(200);
        let input: Vec<u8> = (0..len)
            .map(|_| match i % 2 {
                0 => rng.next() as u8,
                _ => alphabet[rng.below(alphabet.len())],
            })
            .collect();
        if let Ok(v) = decode(&input) {
            let _ = v.repr();
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = XorShift(42);
    for (bytes, _) in FIXTURES {
        for _ in 0..300 {
            let mut m = bytes.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(m.len());
                match rng.below(3) {
                    0 => m[at] = rng.next() as u8,
                    1 => drop(m.remove(at)),
                    _ => m.insert(at, rng.next() as u8),
                }
            }
            if let Ok(v) = decode(&m) {
                let _ = v.repr();
            }
        }
    }
}
