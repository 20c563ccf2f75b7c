//! Real Sentinel parts for tests/sentinel_failover.rs: `redis-server --sentinel` processes
//! on free ports, and a master + replica + three sentinels ("the cluster").

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{RedisServer, Rq, interop_dir, wait_for};

pub const MASTER: &str = "mymaster";
pub const SENTINEL_PW: &str = "sentinel-S3cret";
pub const MASTER_PW: &str = "master-S3cret";

/// One `redis-server --sentinel`, killed on drop.
pub struct Sentinel {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Sentinel {
    pub fn start(master_port: u16) -> Self {
        Self::start_with(master_port, 2, "")
    }

    /// With `quorum` and extra config lines (passwords).
    pub fn start_with(master_port: u16, quorum: u8, extra: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("rqtop-sentinel-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nsentinel monitor {MASTER} 127.0.0.1 {master_port} {quorum}\n{extra}\
                 sentinel down-after-milliseconds {MASTER} 2000\nsentinel failover-timeout {MASTER} 10000\n\
                 sentinel parallel-syncs {MASTER} 1\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s = Self { child, port, dir };
        assert!(
            wait_for(Duration::from_secs(10), || s.conn().ok().map(|_| ())).is_some(),
            "sentinel on {port} did not start"
        );
        s
    }

    pub fn conn(&self) -> redis::RedisResult<redis::Connection> {
        let mut c =
            redis::Client::open(format!("redis://127.0.0.1:{}", self.port))?.get_connection()?;
        // A sentinel with a password answers PING only after AUTH; the test knows it.
        let _: redis::RedisResult<()> = redis::cmd("AUTH").arg(SENTINEL_PW).query(&mut c);
        Ok(c)
    }

    pub fn master_port(&self) -> Option<u16> {
        let mut c = self.conn().ok()?;
        let (_, port): (String, u16) = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(MASTER)
            .query(&mut c)
            .ok()?;
        Some(port)
    }

    pub fn knows_replicas(&self) -> bool {
        let Ok(mut c) = self.conn() else { return false };
        let replicas: Vec<redis::Value> = redis::cmd("SENTINEL")
            .arg("replicas")
            .arg(MASTER)
            .query(&mut c)
            .unwrap_or_default();
        !replicas.is_empty()
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A master, its replica and three sentinels watching them.
pub struct Cluster {
    pub master: RedisServer,
    pub replica: RedisServer,
    pub sentinels: Vec<Sentinel>,
}

impl Cluster {
    pub fn start() -> Self {
        let master = RedisServer::start();
        let port = master.port.to_string();
        let replica = RedisServer::start_with(&[
            "--notify-keyspace-events",
            "KEA",
            "--replicaof",
            "127.0.0.1",
            &port,
        ]);
        let up = wait_for(Duration::from_secs(15), || {
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query(&mut replica.conn())
                .ok()?;
            info.contains("master_link_status:up").then_some(())
        });
        assert!(up.is_some(), "the replica never synced");
        let sentinels: Vec<Sentinel> = (0..3).map(|_| Sentinel::start(master.port)).collect();
        let known = wait_for(Duration::from_secs(20), || {
            sentinels.iter().all(Sentinel::knows_replicas).then_some(())
        });
        assert!(known.is_some(), "the sentinels never saw the replica");
        Self {
            master,
            replica,
            sentinels,
        }
    }

    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        format!("redis+sentinel://{}/{MASTER}/0", hosts.join(","))
    }

    pub fn python_sentinels(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("('127.0.0.1', {})", s.port))
            .collect();
        format!("[{}]", hosts.join(", "))
    }

    /// Runs Python with `conn` connected to the master through redis-py's Sentinel.
    pub fn python(&self, code: &str) -> String {
        let prelude = format!(
            "from redis.sentinel import Sentinel\nfrom rq import Queue\nimport labjobs\n\
             conn = Sentinel({}, socket_timeout=2).master_for('{MASTER}', socket_timeout=5)\n",
            self.python_sentinels()
        );
        let out = Command::new(Rq::V2.python())
            .args(["-c", &format!("{prelude}{code}")])
            .env("PYTHONPATH", interop_dir())
            .current_dir(interop_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed:\n{code}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn enqueue(&self, queue: &str, n: usize) {
        self.python(&format!(
            "q = Queue('{queue}', connection=conn)\nfor i in range({n}):\n    q.enqueue(labjobs.add, i, i)\n"
        ));
    }

    /// A real RQ worker connected through Sentinel, in the background.
    pub fn worker(&self, queue: &str) -> Child {
        let code = format!(
            "from redis.sentinel import Sentinel\nfrom rq import Worker\n\
             conn = Sentinel({}, socket_timeout=2).master_for('{MASTER}', socket_timeout=5)\n\
             Worker(['{queue}'], connection=conn, name='via-sentinel').work(with_scheduler=False)\n",
            self.python_sentinels()
        );
        Command::new(Rq::V2.python())
            .args(["-c", &code])
            .env("PYTHONPATH", interop_dir())
            .current_dir(interop_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    pub fn finished(&self, queue: &str) -> usize {
        self.python(&format!(
            "print(Queue('{queue}', connection=conn).finished_job_registry.count)"
        ))
        .trim()
        .parse()
        .unwrap()
    }
}
