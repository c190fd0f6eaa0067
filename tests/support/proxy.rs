//! A TCP proxy on 127.0.0.1 that the tests put in front of a server or of several
//! instances of a service. It spreads connections over its backends in turn and skips
//! a backend that refuses them. It can cut every connection or slow the replies down,
//! as a failed network or database host would.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Time a connection to one backend may take before the next one is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct State {
    backends: Mutex<Vec<SocketAddr>>,
    next: AtomicUsize,
    down: AtomicBool,
    /// Cancelled by `cut`, which ends every connection open at that moment.
    open: Mutex<CancellationToken>,
    delay_ms: AtomicU64,
}

/// A running proxy. Dropping it stops accepting and ends its connections.
#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `backends`.
    pub async fn start(backends: Vec<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let state = Arc::new(State {
            backends: Mutex::new(backends),
            next: AtomicUsize::new(0),
            down: AtomicBool::new(false),
            open: Mutex::new(CancellationToken::new()),
            delay_ms: AtomicU64::new(0),
        });
        let accepting = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if accepting.down.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let state = accepting.clone();
                tokio::spawn(async move { relay(state, client).await });
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// Returns the proxy's address as an `http://` base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a backend, which new connections reach in turn with the others.
    pub fn add_backend(&self, backend: SocketAddr) {
        lock(&self.state.backends).push(backend);
    }

    /// Ends every open connection and closes new ones at once, until `restore`.
    pub fn cut(&self) {
        self.state.down.store(true, Ordering::SeqCst);
        let mut open = lock(&self.state.open);
        open.cancel();
        *open = CancellationToken::new();
    }

    /// Lets connections through again after `cut`.
    pub fn restore(&self) {
        self.state.down.store(false, Ordering::SeqCst);
    }

    /// Holds every chunk a backend sends for `delay` before passing it on.
    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        lock(&self.state.open).cancel();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Connects `client` to the next backend that accepts and copies bytes both ways until
/// either side closes or the proxy is cut.
async fn relay(state: Arc<State>, client: TcpStream) {
    let cancelled = lock(&state.open).clone();
    let backends = lock(&state.backends).clone();
    if backends.is_empty() {
        return;
    }
    let first = state.next.fetch_add(1, Ordering::SeqCst);
    let mut server = None;
    for offset in 0..backends.len() {
        let backend = backends[(first + offset) % backends.len()];
        if let Ok(Ok(stream)) =
            tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(backend)).await
        {
            server = Some(stream);
            break;
        }
    }
    let Some(server) = server else { return };

    drop(client.set_nodelay(true));
    drop(server.set_nodelay(true));
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buffer = vec![0_u8; 16 * 1024];
        loop {
            let read = client_read.read(&mut buffer).await.unwrap_or(0);
            if read == 0 || server_write.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
        drop(server_write.shutdown().await);
    };
    let downstream = async {
        let mut buffer = vec![0_u8; 16 * 1024];
        loop {
            let read = server_read.read(&mut buffer).await.unwrap_or(0);
            if read == 0 {
                break;
            }
            let delay = state.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            if client_write.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
        drop(client_write.shutdown().await);
    };

    tokio::select! {
        () = cancelled.cancelled() => {}
        _ = async { tokio::join!(upstream, downstream) } => {}
    }
}
