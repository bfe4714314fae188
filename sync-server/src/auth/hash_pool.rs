//! Password hashing on a few long-lived threads (one per CPU). Argon2 needs 19 MiB per hash; run
//! on tokio's blocking pool, every thread that ever hashed kept its own malloc arena holding that
//! memory, so a burst of logins (devices reconnecting) left the server's resident memory high. A
//! fixed pool bounds both the concurrency and the memory kept (measured in docs/benchmarks.md).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Debug)]
pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads (at least one). Jobs beyond the queue wait in `run`.
    pub fn new(threads: usize) -> Self {
        let (jobs, rx) = sync_channel::<Job>(1024);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx: Arc<Mutex<Receiver<Job>>> = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the pool was dropped
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `f` on a hashing thread and waits for its result without blocking the reactor.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        let jobs = self.jobs.clone();
        // `send` blocks only when 1,024 hashes are already queued: do that wait off the reactor.
        tokio::task::spawn_blocking(move || jobs.send(job))
            .await
            .map_err(ApiError::internal)?
            .map_err(|_| ApiError::internal("the password-hashing pool stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("a password-hashing job was lost"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_returns_results() {
        let pool = HashPool::new(2);
        let results = futures_join(&pool).await;
        assert_eq!(results, vec![0, 2, 4, 6, 8]);
    }

    async fn futures_join(pool: &HashPool) -> Vec<u32> {
        let mut out = Vec::new();
        for i in 0..5u32 {
            out.push(pool.run(move || i * 2).await.unwrap());
        }
        out
    }
}
