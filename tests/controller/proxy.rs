//! A TCP proxy between one operator process and the kube-apiserver, so a test can partition that
//! operator from the control plane (drop every connection, refuse new ones) while the test itself
//! and other replicas still reach it. TLS passes through untouched: the apiserver's certificate
//! names 127.0.0.1, which is where the proxy listens too.
use std::net::SocketAddr;
use std::path::Path;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::common;

pub struct Proxy {
    cut: watch::Sender<bool>,
    task: JoinHandle<()>,
    kubeconfig: tempfile::NamedTempFile,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to the apiserver of the admin kubeconfig;
    /// `kubeconfig()` is a copy of that kubeconfig pointing at the proxy.
    pub async fn start() -> Proxy {
        let admin = common::required_env(common::KUBECONFIG_ENV).expect("kubeconfig");
        let text = std::fs::read_to_string(&admin).expect("read kubeconfig");
        let server = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .expect("server in kubeconfig")
            .trim()
            .to_string();
        let upstream: SocketAddr = server
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .parse()
            .expect("apiserver address is ip:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (cut, _) = watch::channel(false);
        let task = tokio::spawn(serve(listener, upstream, cut.clone()));
        let kubeconfig = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(
            kubeconfig.path(),
            text.replace(&server, &format!("https://{addr}")),
        )
        .expect("write kubeconfig");
        Proxy {
            cut,
            task,
            kubeconfig,
        }
    }

    pub fn kubeconfig(&self) -> &Path {
        self.kubeconfig.path()
    }

    /// Drops every open connection and refuses new ones from now on.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, upstream: SocketAddr, cut: watch::Sender<bool>) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            continue;
        };
        if *cut.borrow() {
            drop(client); // refused: closed before the TLS handshake
            continue;
        }
        let mut partitioned = cut.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = partitioned.wait_for(|cut| *cut) => {}
            }
        });
    }
}
