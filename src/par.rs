//! Ordered parallel map over a slice with scoped threads, for the CPU-bound steps of one render
//! (parsing templates, reading manifest heads). Results come back in input order, so callers
//! keep their sequential semantics: the first error in order is the one reported.

/// Applies `f` to every item on up to `available_parallelism` (at most 4) threads and returns
/// the results in input order. Runs on the calling thread alone when `work` (the caller's
/// estimate, e.g. bytes of text) is below `min_work`: a thread costs tens of microseconds.
pub fn map_ordered<T, R, F>(items: &[T], work: usize, min_work: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    if items.len() < 2 || work < min_work {
        return items.iter().map(&f).collect();
    }
    let threads = cores().min(4).min(items.len());
    if threads < 2 {
        return items.iter().map(&f).collect();
    }
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let f = &f;
    // Items are handed out one at a time from a shared counter, so a thread that starts late
    // (an idle core can take milliseconds to wake) just takes fewer: the calling thread never
    // waits on work nobody has started.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let next = &next;
    let work = move || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        for (i, r) in work() {
            slots[i] = Some(r);
        }
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    slots[i] = Some(r);
                }
            }
        }
    });
    // A worker that panicked left its slots empty: redo them here, so the panic (a bug)
    // surfaces on the calling thread as it would without threads.
    slots
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}

/// The cores this process may use, asked once: on Linux the answer reads cgroup files.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_with_and_without_threads() {
        let items: Vec<usize> = (0..101).collect();
        let seq = map_ordered(&items, 0, 1, |x| x * 3);
        let par = map_ordered(&items, 10, 1, |x| x * 3);
        assert_eq!(seq, par);
        assert_eq!(par[100], 300);
    }

    #[test]
    fn empty_input() {
        let items: Vec<u8> = Vec::new();
        assert!(map_ordered(&items, 100, 1, |x| *x).is_empty());
    }
}
