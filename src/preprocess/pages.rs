//! Handing the memory of values already copied back to the system before their vector is
//! freed: a table's columns, once copied into the matrix that replaces them, need not
//! stay resident while the rest of the matrix fills.

/// Lets the system take back the whole memory pages inside `v`; values on those pages may
/// read as 0.0 afterwards. For a slice whose values have been copied and will not be
/// read again.
pub(super) fn release(v: &mut [f64]) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0);
        if page == 0 {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let (lo, hi) = (start.div_ceil(page) * page, end / page * page);
        if hi > lo {
            // SAFETY: [lo, hi) lies inside `v`, borrowed mutably here, so nothing else
            // reads it. The memory is the private anonymous memory of a Rust allocation:
            // MADV_DONTNEED only makes later reads of those pages return zeros, and 0.0
            // is a valid f64; the allocator's own records lie outside `v`. A refused call
            // changes nothing.
            unsafe {
                libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_DONTNEED);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn released_values_read_as_zero_or_unchanged_and_the_rest_stay() {
        let mut v: Vec<f64> = (0..100_000).map(|i| i as f64 + 1.0).collect();
        super::release(&mut v[..60_000]);
        assert!(
            v[..60_000]
                .iter()
                .enumerate()
                .all(|(i, &x)| x == 0.0 || x == i as f64 + 1.0)
        );
        // whole pages inside the range were given back
        #[cfg(target_os = "linux")]
        assert!(v[1_000..59_000].iter().all(|&x| x == 0.0));
        assert!(
            v[60_000..]
                .iter()
                .enumerate()
                .all(|(i, &x)| x == (i + 60_000) as f64 + 1.0)
        );
    }
}
