//! Memory lost to alignment by a process plan, per process and in total,
//! against the two power-of-two schemes other systems use for the same
//! processes:
//!
//! - **Tock**: each process's flash and RAM (its grant included) padded to
//!   the next power of two and aligned to it, as its ARMv7-M MPU code and
//!   tockloader/elf2tab lay apps out (an 80 KB app takes 128 KB);
//! - **Hubris**: each process's flash and RAM rounded up to a run of
//!   naturally aligned power-of-two chunks in decreasing size, one MPU
//!   region per chunk, with as many chunks as regions (Hubris's build
//!   allocator for power-of-two MPUs). Here a process's flash gets half of
//!   the per-process regions and its RAM the rest.
//!
//! Both are packed largest alignment first (as their tools sort), from the
//! same free window as mcu-build's plan; a scheme's loss is its padding
//! plus the gaps its alignment leaves, charged to the process placed after
//! the gap. mcu-build's loss is the gaps before each piece of its plan
//! (its pieces are never padded). Bytes are counted even when a scheme's
//! pieces overflow the window, which `tock_fits`/`hubris_fits` say.

use serde::Serialize;

use super::ProcessRequest;
use super::place::{self, Piece, Placement};
use crate::layout::plan::AddressRange;
use crate::mpu::baseline::power_of_two_region_size;
use crate::mpu::{GRANULE, align_up};

/// Bytes lost by each scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Schemes {
    pub mcu_build: u64,
    pub tock: u64,
    pub hubris: u64,
}

impl Schemes {
    fn add(&mut self, other: Schemes) {
        self.mcu_build += other.mcu_build;
        self.tock += other.tock;
        self.hubris += other.hubris;
    }
}

/// One process's loss.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessLoss {
    pub process: String,
    #[serde(flatten)]
    pub bytes: Schemes,
}

/// The loss of a plan and of the two schemes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LossReport {
    pub processes: Vec<ProcessLoss>,
    pub total: Schemes,
    /// mcu-build's total, as a percentage of the free windows the
    /// processes are placed in.
    pub percent: f64,
    /// mcu-build's gaps.
    pub gaps: Vec<AddressRange>,
    pub tock_fits: bool,
    pub hubris_fits: bool,
    /// The chunks (regions) each process's flash and RAM may take in the
    /// Hubris scheme.
    pub hubris_chunks: [usize; 2],
}

/// The loss of `placement` of `processes` in the flash and RAM memories
/// (`memories[0]`, `memories[1]`), and of the two schemes, with `budget`
/// regions per process.
pub fn report(
    processes: &[ProcessRequest],
    placement: &Placement,
    memories: [(&place::Memory, &[Piece]); 2],
    budget: usize,
) -> LossReport {
    let flash_chunks = (budget / 2).max(1);
    let chunks = [flash_chunks, budget.saturating_sub(flash_chunks).max(1)];
    let mut per: Vec<Schemes> = vec![Schemes::default(); processes.len()];
    let mut gaps = Vec::new();
    let (mut tock_fits, mut hubris_fits) = (true, true);
    let mut window_bytes = 0;
    for (((memory, pieces), packed), chunks) in memories
        .into_iter()
        .zip([&placement.flash, &placement.ram])
        .zip(chunks)
    {
        let window = memory.window.clone();
        window_bytes += window.end - window.start;
        let mut order: Vec<usize> = (0..pieces.len()).collect();
        order.sort_by_key(|&i| packed.origins[i]);
        let mut cursor = window.start;
        for i in order {
            let origin = packed.origins[i];
            if origin > cursor {
                gaps.push(AddressRange {
                    start: cursor,
                    end: origin,
                });
            }
            per[i].mcu_build += origin - cursor;
            cursor = origin + pieces[i].len();
        }
        let tock: Vec<Block> = pieces
            .iter()
            .map(|p| {
                let padded = power_of_two_region_size(p.len());
                Block {
                    len: p.len(),
                    padded,
                    align: padded,
                }
            })
            .collect();
        let (losses, fits) = pack_aligned(window.start..window.end, &tock);
        tock_fits &= fits;
        for (i, loss) in losses.into_iter().enumerate() {
            per[i].tock += loss;
        }
        let hubris: Vec<Block> = pieces
            .iter()
            .map(|p| {
                let (padded, largest) = hubris_chunks(p.len(), chunks);
                Block {
                    len: p.len(),
                    padded,
                    align: largest,
                }
            })
            .collect();
        let (losses, fits) = pack_aligned(window.start..window.end, &hubris);
        hubris_fits &= fits;
        for (i, loss) in losses.into_iter().enumerate() {
            per[i].hubris += loss;
        }
    }
    let mut total = Schemes::default();
    for s in &per {
        total.add(*s);
    }
    LossReport {
        processes: processes
            .iter()
            .zip(per)
            .map(|(p, bytes)| ProcessLoss {
                process: p.name.clone(),
                bytes,
            })
            .collect(),
        total,
        percent: total.mcu_build as f64 * 100.0 / window_bytes.max(1) as f64,
        gaps,
        tock_fits,
        hubris_fits,
        hubris_chunks: chunks,
    }
}

/// A piece as a power-of-two scheme lays it out.
struct Block {
    len: u64,
    padded: u64,
    align: u64,
}

/// Packs `blocks` largest alignment first from the window's start: each
/// block's padding plus the gap before it, and whether all fit.
fn pack_aligned(window: std::ops::Range<u64>, blocks: &[Block]) -> (Vec<u64>, bool) {
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&i| {
        (
            std::cmp::Reverse(blocks[i].align),
            std::cmp::Reverse(blocks[i].padded),
            i,
        )
    });
    let mut losses = vec![0; blocks.len()];
    let mut cursor = window.start;
    for i in order {
        let b = &blocks[i];
        let origin = align_up(cursor, b.align);
        losses[i] = origin - cursor + b.padded - b.len;
        cursor = origin + b.padded;
    }
    (losses, cursor <= window.end)
}

/// `len` bytes as at most `chunks` power-of-two chunks of at least 32
/// bytes: the least such total, and its largest chunk (the alignment of
/// the run). The top `chunks - 1` set bits stay; the rest rounds up to one
/// power of two (which may carry into them).
pub fn hubris_chunks(len: u64, chunks: usize) -> (u64, u64) {
    let len = align_up(len.max(GRANULE), GRANULE);
    let mut kept = 0u64;
    let mut rest = len;
    for _ in 1..chunks.max(1) {
        if rest == 0 {
            break;
        }
        let top = 1u64 << (63 - rest.leading_zeros());
        kept |= top;
        rest -= top;
    }
    let total = if rest == 0 {
        kept
    } else {
        kept + rest.next_power_of_two()
    };
    let largest = 1u64 << (63 - total.leading_zeros());
    (total, largest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubris_chunks_round_up_to_the_fewest_bits() {
        // 80 KiB in one chunk is 128 KiB; in two it is 64 + 16 KiB.
        assert_eq!(hubris_chunks(80 << 10, 1), (128 << 10, 128 << 10));
        assert_eq!(hubris_chunks(80 << 10, 2), (80 << 10, 64 << 10));
        // 0b1011 granules with two chunks: 8 + 4 granules (the 3 carries).
        assert_eq!(hubris_chunks(11 * 32, 2), (12 * 32, 8 * 32));
        // 0b1000_0001 granules: two chunks hold it exactly.
        assert_eq!(hubris_chunks(129 * 32, 2), (129 * 32, 128 * 32));
        assert_eq!(hubris_chunks(1, 3), (32, 32));
    }

    #[test]
    fn power_of_two_packing_charges_padding_and_gaps() {
        let blocks = [
            Block {
                len: 96,
                padded: 128,
                align: 128,
            },
            Block {
                len: 512,
                padded: 512,
                align: 512,
            },
        ];
        // From 0x20: the 512-byte block goes to 0x200 (gap 0x1e0), then the
        // 128-byte one at 0x400 (32 bytes of padding).
        let (losses, fits) = pack_aligned(0x20..0x480, &blocks);
        assert_eq!(losses, [32, 0x1e0]);
        assert!(fits);
        assert!(!pack_aligned(0x20..0x470, &blocks).1);
    }
}
