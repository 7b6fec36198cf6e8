//! Flat slices of the arrays this crate builds: every array here is created
//! in standard (row-major, contiguous) layout, so viewing it as one slice
//! cannot fail; the one `expect` for that lives here.

use ndarray::{ArrayBase, Data, DataMut, Dimension};

/// An array seen as one flat, row-major slice.
pub trait Flat {
    /// The element type.
    type Elem;
    /// All elements in row-major order.
    fn flat(&self) -> &[Self::Elem];
}

/// An array seen as one flat, row-major, mutable slice.
pub trait FlatMut: Flat {
    /// All elements in row-major order.
    fn flat_mut(&mut self) -> &mut [Self::Elem];
}

impl<A, S: Data<Elem = A>, D: Dimension> Flat for ArrayBase<S, D> {
    type Elem = A;
    fn flat(&self) -> &[A] {
        self.as_slice()
            .expect("arrays built by curvscope are in standard layout")
    }
}

impl<A, S: DataMut<Elem = A>, D: Dimension> FlatMut for ArrayBase<S, D> {
    fn flat_mut(&mut self) -> &mut [A] {
        self.as_slice_mut()
            .expect("arrays built by curvscope are in standard layout")
    }
}
