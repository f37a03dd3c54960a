//! docs/PATTERNS.md, entry 17. Static dispatch instead of `dyn`: dynamic dispatch.

use std::hint::black_box;

use super::{group, single};
use crate::registry::{Group, Role, Throughput};

trait Shape {
    fn area(&self) -> f64;
}

#[derive(Clone, Copy)]
struct Circle(f64);
#[derive(Clone, Copy)]
struct Rect(f64, f64);
#[derive(Clone, Copy)]
struct Tri(f64, f64);

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.0 * self.0
    }
}
impl Shape for Rect {
    fn area(&self) -> f64 {
        self.0 * self.1
    }
}
impl Shape for Tri {
    fn area(&self) -> f64 {
        0.5 * self.0 * self.1
    }
}

#[derive(Clone, Copy)]
enum AnyShape {
    Circle(Circle),
    Rect(Rect),
    Tri(Tri),
}

impl AnyShape {
    #[inline]
    fn area(&self) -> f64 {
        match self {
            Self::Circle(c) => c.area(),
            Self::Rect(r) => r.area(),
            Self::Tri(t) => t.area(),
        }
    }
}

const SHAPES: usize = 10_000;

fn shape(i: usize) -> AnyShape {
    let x = (i % 97) as f64 * 0.25;
    match i % 3 {
        0 => AnyShape::Circle(Circle(x)),
        1 => AnyShape::Rect(Rect(x, 2.0)),
        _ => AnyShape::Tri(Tri(x, 3.0)),
    }
}

pub(super) fn dispatch() -> Group {
    let boxed: Vec<Box<dyn Shape + Send + Sync>> = (0..SHAPES)
        .map(|i| -> Box<dyn Shape + Send + Sync> {
            match shape(i) {
                AnyShape::Circle(c) => Box::new(c),
                AnyShape::Rect(r) => Box::new(r),
                AnyShape::Tri(t) => Box::new(t),
            }
        })
        .collect();
    let enums: Vec<AnyShape> = (0..SHAPES).map(shape).collect();
    // Generics: one Vec per concrete type, each summed by a monomorphised loop. (Summed in
    // the same interleaved order as the others would need the enum; so this case sums per
    // type and its answer is compared by value, rounded.)
    let circles: Vec<Circle> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Circle(c) = s {
                Some(*c)
            } else {
                None
            }
        })
        .collect();
    let rects: Vec<Rect> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Rect(r) = s {
                Some(*r)
            } else {
                None
            }
        })
        .collect();
    let tris: Vec<Tri> = enums
        .iter()
        .filter_map(|s| {
            if let AnyShape::Tri(t) = s {
                Some(*t)
            } else {
                None
            }
        })
        .collect();
    fn total<S: Shape>(shapes: &[S]) -> f64 {
        shapes.iter().map(Shape::area).sum()
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "areas are small and positive"
    )]
    fn rounded(x: f64) -> u64 {
        x.round() as u64
    }
    group(
        "dispatch",
        "sum the areas of 10,000 shapes of 3 kinds",
        Some(Throughput::Elements(SHAPES as u64)),
        "Box<dyn Shape>: a pointer chase and an indirect call per shape, nothing inlined. \
         enum: a match the compiler inlines. Generics: one monomorphised (and vectorisable) \
         loop per type, over values stored by type. Answers are the sum rounded to an integer \
         (the generic case adds in a different order).",
        100,
        vec![
            single("Vec<Box<dyn Shape>>", Role::Baseline, move || {
                rounded(black_box(&boxed).iter().map(|s| s.area()).sum())
            }),
            single("Vec<enum>", Role::Pattern, move || {
                rounded(black_box(&enums).iter().map(AnyShape::area).sum())
            }),
            single("generics, one Vec per type", Role::Pattern, move || {
                rounded(
                    total(black_box(&circles)) + total(black_box(&rects)) + total(black_box(&tris)),
                )
            }),
        ],
    )
}
