//! What the demo's application enqueues: plausible calls per queue, how long each runs,
//! how often it fails, what it returns and the traceback it fails with.

use super::jobs::Call;
use super::pickle_out::{dict, s};
use super::util::Rng;
use crate::rq::pickle::PyValue;

pub const QUEUES: [&str; 4] = ["default", "high", "low", "emails"];

const PEOPLE: [&str; 8] = [
    "alice@example.com",
    "bob@example.org",
    "carol@example.net",
    "dave@example.com",
    "erin@example.io",
    "frank@example.co.uk",
    "grace@example.com",
    "heidi@example.de",
];
const TEMPLATES: [&str; 5] = [
    "welcome",
    "password_reset",
    "receipt",
    "weekly_digest",
    "trial_ending",
];

fn int(i: i64) -> PyValue {
    PyValue::Int(i)
}

/// A fresh call for `queue`.
pub fn call_for(rng: &mut Rng, queue: &str) -> Call {
    match queue {
        "high" => match rng.below(10) {
            0..=3 => charge(rng),
            4..=6 => Call::new("app.webhooks.deliver")
                .arg(int(rng.range(100, 260)))
                .kw(
                    "event",
                    s(rng.pick(&["invoice.paid", "order.created", "user.updated"])),
                )
                .kw("attempt", int(1)),
            _ => Call::new("app.auth.send_password_reset").arg(s(rng.pick(&PEOPLE))),
        },
        "low" => match rng.below(10) {
            0 => report(rng),
            1..=3 => {
                Call::new("app.maintenance.purge_expired_sessions").kw("batch_size", int(5000))
            }
            _ => backfill(rng),
        },
        "emails" => {
            let template = *rng.pick(&TEMPLATES);
            email(rng, template)
        }
        _ => match rng.below(10) {
            0..=3 => Call::new("app.tasks.resize_image")
                .arg(s(format!(
                    "uploads/2026/11/IMG_{}.jpg",
                    rng.range(1000, 9999)
                )))
                .kw(
                    "sizes",
                    PyValue::List(vec![
                        PyValue::Tuple(vec![int(1280), int(720)]),
                        PyValue::Tuple(vec![int(640), int(360)]),
                        PyValue::Tuple(vec![int(160), int(160)]),
                    ]),
                ),
            4..=6 => Call::new("app.search.reindex_document")
                .arg(s(rng.pick(&["product", "order", "customer"])))
                .arg(int(rng.range(10_000, 99_999))),
            _ => Call::new("app.integrations.sync_crm_contact")
                .arg(int(rng.range(1, 40_000)))
                .kw(
                    "fields",
                    PyValue::List(vec![s("email"), s("phone"), s("company")]),
                )
                .kw("dry_run", PyValue::Bool(false)),
        },
    }
}

pub fn charge(rng: &mut Rng) -> Call {
    Call::new("app.billing.charge_invoice")
        .arg(int(rng.range(4000, 9800)))
        .kw(
            "amount",
            s(format!("{}.{:02}", rng.range(9, 900), rng.range(0, 99))),
        )
        .kw("currency", s(rng.pick(&["EUR", "USD", "GBP"])))
}

pub fn report(rng: &mut Rng) -> Call {
    Call::new("app.reports.generate_report")
        .arg(s(rng.pick(&["sales-weekly", "churn-monthly", "inventory"])))
        .arg(dict(vec![
            ("region", s(rng.pick(&["EMEA", "APAC", "AMER"]))),
            ("week", int(rng.range(40, 48))),
        ]))
        .kw("format", s("pdf"))
}

pub fn email(rng: &mut Rng, template: &str) -> Call {
    let call = Call::new("app.tasks.send_email").arg(s(rng.pick(&PEOPLE)));
    if template == "receipt" {
        call.kw("template", s(template)).kw(
            "context",
            dict(vec![
                ("invoice_id", int(rng.range(4000, 9800))),
                ("amount", s(format!("{}.00", rng.range(9, 900)))),
            ]),
        )
    } else {
        call.kw("template", s(template))
    }
}

pub fn backfill(rng: &mut Rng) -> Call {
    Call::new("app.media.backfill_thumbnail")
        .arg(int(rng.range(100_000, 999_999)))
        .kw("sizes", PyValue::List(vec![int(160), int(320)]))
        .kw("overwrite", PyValue::Bool(false))
}

/// Run time range (seconds) and failure rate by function.
pub fn profile(func: &str) -> (f64, f64, f64) {
    match func {
        "app.tasks.send_email" => (0.2, 1.4, 0.10),
        "app.auth.send_password_reset" => (0.2, 0.7, 0.03),
        "app.billing.charge_invoice" => (0.3, 1.8, 0.12),
        "app.webhooks.deliver" => (0.2, 2.5, 0.12),
        "app.tasks.resize_image" => (0.6, 4.0, 0.06),
        "app.search.reindex_document" => (0.2, 1.2, 0.02),
        "app.integrations.sync_crm_contact" => (0.5, 3.0, 0.10),
        "app.reports.generate_report" => (12.0, 34.0, 0.08),
        "app.maintenance.purge_expired_sessions" => (1.0, 6.0, 0.02),
        "app.media.backfill_thumbnail" => (0.8, 3.6, 0.04),
        _ => (0.3, 3.0, 0.05),
    }
}

/// What a successful call returns (`None` leaves `return_value` out, as RQ does).
pub fn return_value(rng: &mut Rng, func: &str) -> PyValue {
    match func {
        "app.tasks.send_email" | "app.auth.send_password_reset" => dict(vec![
            (
                "message_id",
                s(format!("<{}@mail.example.com>", rng.hex32())),
            ),
            ("accepted", PyValue::Bool(true)),
        ]),
        "app.billing.charge_invoice" => dict(vec![
            (
                "charge_id",
                s(format!(
                    "ch_3Q{}",
                    rng.hex32().get(..22).unwrap_or_default()
                )),
            ),
            ("status", s("succeeded")),
        ]),
        "app.webhooks.deliver" => int(*rng.pick(&[200, 200, 202, 204])),
        "app.tasks.resize_image" => PyValue::List(vec![
            s("thumbs/1280x720.webp"),
            s("thumbs/640x360.webp"),
            s("thumbs/160x160.webp"),
        ]),
        "app.search.reindex_document" => PyValue::Bool(true),
        "app.integrations.sync_crm_contact" => dict(vec![
            ("updated", PyValue::List(vec![s("email"), s("phone")])),
            (
                "took_ms",
                PyValue::Float((rng.float(40.0, 900.0) * 10.0).round() / 10.0),
            ),
        ]),
        "app.reports.generate_report" => s(format!(
            "s3://acme-reports/2026-W{}/{}.pdf",
            rng.range(40, 48),
            rng.hex32().get(..8).unwrap_or("report")
        )),
        "app.maintenance.purge_expired_sessions" => int(rng.range(0, 5000)),
        "app.billing.refresh_exchange_rates" => dict(vec![
            ("EUR", PyValue::Float(1.0)),
            ("USD", PyValue::Float(1.0843)),
            ("GBP", PyValue::Float(0.8571)),
        ]),
        _ => PyValue::None,
    }
}

const RQ_FRAMES: &str = "Traceback (most recent call last):
  File \"/srv/app/.venv/lib/python3.11/site-packages/rq/worker/base.py\", line 1552, in perform_job
    return_value = job.perform()
                   ^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/rq/job.py\", line 1368, in perform
    self._result = self._execute()
                   ^^^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/rq/job.py\", line 1428, in _execute
    result = self.func(*self.args, **self.kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
";

/// A traceback as RQ stores it: `traceback.format_exception` of a failure in `func`.
pub fn traceback(rng: &mut Rng, func: &str) -> String {
    let (frames, error): (&str, &str) = match (func, rng.below(2)) {
        ("app.tasks.send_email" | "app.auth.send_password_reset", 0) => (
            "  File \"/srv/app/app/tasks.py\", line 41, in send_email
    with smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=30) as smtp:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/usr/local/lib/python3.11/smtplib.py\", line 255, in __init__
    (code, msg) = self.connect(host, port)
                  ^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/srv/app/app/mail.py\", line 73, in connect
    raise ConnectionError(f\"SMTP server {host}:{port} refused connection\") from exc
",
            "ConnectionError: SMTP server smtp.example.com:587 refused connection",
        ),
        ("app.tasks.send_email" | "app.auth.send_password_reset", _) => (
            "  File \"/srv/app/app/tasks.py\", line 48, in send_email
    smtp.send_message(message)
  File \"/usr/local/lib/python3.11/smtplib.py\", line 986, in send_message
    return self.sendmail(from_addr, to_addrs, flatmsg, mail_options,
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/usr/local/lib/python3.11/smtplib.py\", line 901, in sendmail
    raise SMTPRecipientsRefused(senderrs)
",
            "smtplib.SMTPRecipientsRefused: {'bounce@example.com': (550, b'5.1.1 <bounce@example.com>: Recipient address rejected: User unknown')}",
        ),
        ("app.billing.charge_invoice", 0) => (
            "  File \"/srv/app/app/billing.py\", line 112, in charge_invoice
    charge = stripe.PaymentIntent.confirm(intent.id, payment_method=customer.default_pm)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/stripe/_api_requestor.py\", line 765, in _interpret_response
    self.handle_error_response(rbody, rcode, resp.data, rheaders)
",
            "stripe._error.CardError: Request req_8fJ2kQ: Your card has insufficient funds.",
        ),
        ("app.billing.charge_invoice", _) => (
            "  File \"/srv/app/app/billing.py\", line 98, in charge_invoice
    invoice = Invoice.objects.select_for_update(nowait=True).get(pk=invoice_id)
              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/django/db/backends/utils.py\", line 89, in _execute
    return self.cursor.execute(sql, params)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
",
            "django.db.utils.OperationalError: could not obtain lock on row in relation \"billing_invoice\"",
        ),
        ("app.webhooks.deliver", _) => (
            "  File \"/srv/app/app/webhooks.py\", line 57, in deliver
    response = session.post(endpoint.url, json=payload, timeout=10)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/requests/adapters.py\", line 713, in send
    raise ReadTimeout(e, request=request)
",
            "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='hooks.partner.example', port=443): Read timed out. (read timeout=10)",
        ),
        ("app.tasks.resize_image" | "app.media.backfill_thumbnail", _) => (
            "  File \"/srv/app/app/media.py\", line 30, in resize_image
    with Image.open(storage.path(path)) as img:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/srv/app/.venv/lib/python3.11/site-packages/PIL/Image.py\", line 3498, in open
    raise UnidentifiedImageError(msg)
",
            "PIL.UnidentifiedImageError: cannot identify image file '/srv/app/media/uploads/2026/11/IMG_4312.jpg'",
        ),
        ("app.integrations.sync_crm_contact", _) => (
            "  File \"/srv/app/app/integrations/crm.py\", line 144, in sync_crm_contact
    remote_id = contact.external_ids[\"hs_object_id\"]
                ~~~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^^
",
            "KeyError: 'hs_object_id'",
        ),
        ("app.reports.generate_report", _) => (
            "  File \"/srv/app/app/reports.py\", line 203, in generate_report
    rows = cursor.fetchall()
           ^^^^^^^^^^^^^^^^^
",
            "psycopg2.errors.QueryCanceled: canceling statement due to statement timeout",
        ),
        _ => (
            "  File \"/srv/app/app/tasks.py\", line 17, in wrapper
    return func(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^
",
            "redis.exceptions.TimeoutError: Timeout reading from socket",
        ),
    };
    format!("{RQ_FRAMES}{frames}{error}\n")
}
