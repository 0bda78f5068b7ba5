//! Planning processes with grants: the time to plan 16 processes (target:
//! under 50 ms), and, printed first, the memory lost to alignment for 2, 4
//! and 8 processes of random sizes (seeded) on every bundled board with an
//! MPU: mcu-build's exact covers against Tock's power-of-two padding and
//! Hubris's power-of-two chunks (see `src/layout/processes/loss.rs`).
//!
//! `cargo bench --no-default-features --bench process_plan` (probe-rs is
//! not needed); the table is Markdown, as the README's Benchmarks section
//! shows it.

use std::hint::black_box;

use criterion::Criterion;
use mcu_build::board::{self, Board};
use mcu_build::layout::processes::{FaultPolicy, ProcessRequest, ProcessesRequest, plan_processes};
use mcu_build::layout::request::{KERNEL_FLASH, KERNEL_SRAM, Size, USER_FLASH, USER_SRAM};
use mcu_build::mpu::GRANULE;

/// Draws per board and process count in the table.
const DRAWS: u64 = 10;

/// A deterministic generator, so that the table can be made again.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The bytes the processes of `board` may take in a memory: what the
/// memory of `user` leaves beside the kernel's `kernel` partition.
fn free_bytes(board: &Board, user: &str, kernel: &str) -> u64 {
    let part = |name: &str| board.partitions.partitions.iter().find(|p| p.name == name);
    let memory = board.memory(&part(user).unwrap().memory).unwrap();
    let kernel = part(kernel).unwrap();
    let taken = match kernel.size {
        Size::Bytes(n) if kernel.memory == memory.name => n,
        _ => 0,
    };
    memory
        .length
        .min(0xe000_0000 - u64::from(memory.origin))
        .saturating_sub(taken)
}

/// `n` processes of random sizes: each flash and RAM between a quarter of
/// and the whole of its share of half the free memory, so that they fit
/// even padded to powers of two; grants of 512 bytes to 2 KiB, capped at
/// the RAM share.
fn processes(board: &Board, n: u64, rng: &mut Lcg) -> Vec<ProcessRequest> {
    let flash_share = free_bytes(board, USER_FLASH, KERNEL_FLASH) / (2 * n);
    let ram_share = free_bytes(board, USER_SRAM, KERNEL_SRAM) / (2 * n);
    let size = |rng: &mut Lcg, share: u64| {
        let granules = (share / GRANULE).max(4);
        (granules / 4 + rng.below(granules - granules / 4)).max(1) * GRANULE
    };
    (0..n)
        .map(|i| {
            let grant = (16 + rng.below(49)).min((ram_share / GRANULE / 4).max(1)) * GRANULE;
            let ram = size(rng, ram_share.saturating_sub(grant)).max(256);
            ProcessRequest {
                name: format!("p{i}"),
                flash: size(rng, flash_share),
                ram,
                grant,
                stack: 128,
                heap: 0,
                fault: FaultPolicy::Stop,
            }
        })
        .collect()
}

/// The loss table: the mean over [`DRAWS`] draws, in bytes and as a
/// percentage of the processes' own bytes.
fn loss_table() -> String {
    let mut out = String::from(
        "| board | processes | process bytes | mcu-build | Tock pow2 padding | Hubris pow2 chunks |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for name in board::bundled_names() {
        let board = board::bundled(name).expect("bundled");
        if board.mpu.is_none() {
            continue;
        }
        for n in [2, 4, 8] {
            let mut rng = Lcg(0x7e57_0000 + n);
            let (mut bytes, mut ours, mut tock, mut hubris, mut planned) = (0, 0, 0, 0, 0);
            let mut failed = None;
            for _ in 0..DRAWS {
                let request = ProcessesRequest {
                    kernel: board.partitions.clone(),
                    processes: processes(&board, n, &mut rng),
                };
                match plan_processes(&board, &request) {
                    Ok(plan) => {
                        planned += 1;
                        bytes += request
                            .processes
                            .iter()
                            .map(|p| p.flash + p.ram + p.grant)
                            .sum::<u64>();
                        ours += plan.loss.total.mcu_build;
                        tock += plan.loss.total.tock;
                        hubris += plan.loss.total.hubris;
                    }
                    Err(e) => failed = Some(e.to_string()),
                }
            }
            if planned == 0 {
                out += &format!(
                    "| {name} | {n} | - | {} | | |\n",
                    failed.unwrap_or_default()
                );
                continue;
            }
            let cell = |loss: u64| {
                format!(
                    "{} B ({:.1}%)",
                    loss / planned,
                    loss as f64 * 100.0 / bytes as f64
                )
            };
            out += &format!(
                "| {name} | {n} | {} | {} | {} | {} |\n",
                bytes / planned,
                cell(ours),
                cell(tock),
                cell(hubris)
            );
        }
    }
    out
}

fn plan_sixteen(c: &mut Criterion) {
    for name in ["qemu-mps2-an386", "qemu-mps2-an505"] {
        let board = board::bundled(name).expect("bundled");
        let request = ProcessesRequest {
            kernel: board.partitions.clone(),
            processes: processes(&board, 16, &mut Lcg(16)),
        };
        let plan = plan_processes(&board, &request).expect("plannable");
        assert_eq!(plan.processes.len(), 16);
        c.bench_function(&format!("plan 16 processes on {name}"), |b| {
            b.iter(|| plan_processes(black_box(&board), black_box(&request)))
        });
    }
}

fn main() {
    println!("{}", loss_table());
    let mut criterion = Criterion::default().configure_from_args();
    plan_sixteen(&mut criterion);
    criterion.final_summary();
}
