//! Gives the memory that glibc's allocator keeps after it was freed back to the
//! operating system.
//!
//! glibc keeps freed memory in its heaps for later allocations, with up to eight heaps
//! per core for the threads that allocate, and on `free` it returns only free space at
//! the top of a heap. A service allocates most at start-up (migrations, reference data,
//! the OpenAPI documents) and frees it before it serves, so without a trim an idle
//! process keeps that peak resident. `malloc_trim(0)` releases every free page of every
//! heap.

/// Releases the free pages of every glibc heap and returns whether any memory was
/// released. It walks the heaps under their locks and takes longer the larger they
/// are, so call it from a thread that may block. With another C library it does
/// nothing and returns `false`.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes no pointers and touches only the allocator's own
        // heaps, under the allocator's locks, so any thread may call it at any time.
        #[allow(unsafe_code)]
        let released = unsafe { libc::malloc_trim(0) };
        released == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_memory_is_released() {
        let mut blocks: Vec<Vec<u8>> = (0..20_000).map(|i| vec![i as u8; 1_000]).collect();
        // The last block stays allocated above the others, so freeing them leaves 20 MB
        // of free pages inside the heap, which free() alone does not return.
        let last = blocks.pop();
        drop(blocks);
        let released = release_free_memory();
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(
                released,
                "20 MB were freed inside the heap, and none was released"
            );
        }
        drop(last);
    }
}
