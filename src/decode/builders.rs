//! Finishing Arrow builders without losing their size.
//!
//! Arrow's `finish` leaves a builder with no capacity, so the next batch regrows every
//! buffer by doubling, copying what it holds each time, and faults in fresh pages. A
//! decoder's batches are alike in size (they are cut at the same row and byte limits),
//! so [`FinishSized::finish_sized`] starts the next batch with what this one used, and
//! a sixteenth more.

use arrow::array::{ArrayBuilder, ArrowPrimitiveType, BooleanArray, BooleanBuilder, PrimitiveArray, PrimitiveBuilder, StringArray, StringBuilder};

/// `finish`, leaving the builder with room for another batch like this one.
pub trait FinishSized {
    type Array;
    fn finish_sized(&mut self) -> Self::Array;
}

fn headroom(n: usize) -> usize {
    n + n / 16
}

impl FinishSized for StringBuilder {
    type Array = StringArray;
    fn finish_sized(&mut self) -> StringArray {
        let next = Self::with_capacity(headroom(self.len()), headroom(self.values_slice().len()));
        std::mem::replace(self, next).finish()
    }
}

impl FinishSized for BooleanBuilder {
    type Array = BooleanArray;
    fn finish_sized(&mut self) -> BooleanArray {
        let next = Self::with_capacity(headroom(self.len()));
        std::mem::replace(self, next).finish()
    }
}

impl<T: ArrowPrimitiveType> FinishSized for PrimitiveBuilder<T> {
    type Array = PrimitiveArray<T>;
    fn finish_sized(&mut self) -> PrimitiveArray<T> {
        // The next builder has `T`'s own data type: set a time zone on the array.
        let next = Self::with_capacity(headroom(self.len()));
        std::mem::replace(self, next).finish()
    }
}

/// Offsets for a list or map column, with room for as many entries as `used` held.
pub fn sized_offsets(used: &[i32]) -> Vec<i32> {
    let mut next = Vec::with_capacity(headroom(used.len()));
    next.push(0);
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Builder};

    #[test]
    fn finishing_keeps_the_values_and_the_room_for_the_next_batch() {
        let mut s = StringBuilder::new();
        for i in 0..1000 {
            s.append_value(format!("value-{i}"));
        }
        s.append_null();
        let bytes = s.values_slice().len();
        let a = s.finish_sized();
        assert_eq!((a.len(), a.null_count(), a.value(999)), (1001, 1, "value-999"));
        assert_eq!(s.len(), 0);
        assert!(s.values_slice().is_empty());
        // The next batch's appends fit without growing.
        let before = s.values_slice().as_ptr();
        for i in 0..1000 {
            s.append_value(format!("value-{i}"));
        }
        assert_eq!(s.values_slice().len(), bytes);
        assert_eq!(s.values_slice().as_ptr(), before, "the value buffer was reallocated");

        let mut n = Int64Builder::new();
        n.append_value(7);
        n.append_null();
        let a = n.finish_sized();
        assert_eq!((a.len(), a.null_count(), a.value(0)), (2, 1, 7));
        let mut b = BooleanBuilder::new();
        b.append_value(true);
        assert!(b.finish_sized().value(0));
        assert_eq!(b.len(), 0);
    }
}
