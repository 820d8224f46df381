//! Locks that outlive a panic. Every lock of the operator guards state changed in whole steps (one
//! insert, one removal, one value swapped in), so a panic on another thread cannot leave it
//! half-changed; a poisoned lock is then taken as it is, not turned into a second panic.
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// `mutex`, locked.
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `lock`, read-locked.
pub fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// `lock`, write-locked.
pub fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_taken_as_it_is() {
        let shared = std::sync::Arc::new((Mutex::new(1), RwLock::new(2)));
        let poisoner = shared.clone();
        let _ = std::thread::spawn(move || {
            let _m = poisoner.0.lock();
            let _w = poisoner.1.write();
            panic!("poison both");
        })
        .join();
        assert!(shared.0.is_poisoned() && shared.1.is_poisoned());
        *lock(&shared.0) += 1;
        *write(&shared.1) += 1;
        assert_eq!((*lock(&shared.0), *read(&shared.1)), (2, 3));
    }
}
