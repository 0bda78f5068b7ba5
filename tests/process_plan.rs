//! Several isolated processes with grants: `layout` and `mpu check` of a
//! project with `[[process]]` tables (tests/data/processes/, on an ARMv7-M
//! and an ARMv8-M board), configuration errors, the planner against a
//! brute-force search over every granule origin, and the verifier against
//! a region set that reaches a grant (tock#4366).

use std::path::Path;

use assert_cmd::Command;
use mcu_build::board::Board;
use mcu_build::layout::processes::verify::{check_layout, verify, verify_process};
use mcu_build::layout::processes::{
    FaultPolicy, ProcessRequest, ProcessesPlan, ProcessesRequest, plan_processes,
};
use mcu_build::mpu::{Arch, GRANULE, MemoryKind, RegionNumber, Registers, armv7m, armv8m};
use predicates::prelude::*;

mod common;
use common::small_board::{Lcg, four_partitions, small_board};

const FIXTURE: &str = "tests/data/processes/mcu-build.toml";
const BOARDS: [&str; 2] = ["qemu-mps2-an386", "qemu-mps2-an505"];

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = mcu_build().args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn layout_prints_every_process_with_its_grant_and_registers() {
    for board in BOARDS {
        let text = stdout(&["layout", "--config", FIXTURE, "--board", board]);
        assert!(text.starts_with(&format!("{board} (")), "{text}");
        for name in ["sensor", "radio", "logger"] {
            assert!(text.contains(&format!("process {name} (")), "{text}");
        }
        assert!(text.contains("fault: restart(3)"), "{text}");
        let register = if board.ends_with("an386") {
            "RASR="
        } else {
            "RLAR="
        };
        assert!(text.contains(register), "{text}");
        assert_eq!(text.matches("  grant ").count(), 3, "{text}");
        assert!(text.contains("alignment loss (bytes)"), "{text}");
        assert!(
            text.contains("Tock pow2") && text.contains("Hubris pow2"),
            "{text}"
        );
    }
}

#[test]
fn layout_json_has_processes_whose_grant_tops_their_ram() {
    for board in BOARDS {
        let text = stdout(&["layout", "--config", FIXTURE, "--board", board, "--json"]);
        let plan: serde_json::Value = serde_json::from_str(&text).unwrap();
        let processes = plan["processes"].as_array().unwrap();
        let names: Vec<&str> = processes
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["sensor", "radio", "logger"]);
        for p in processes {
            let at = |range: &str, end: &str| p[range][end].as_u64().unwrap();
            assert_eq!(at("ram", "start"), at("user_ram", "start"));
            assert_eq!(at("user_ram", "end"), at("grant", "start"));
            assert_eq!(at("grant", "end"), at("ram", "end"));
            assert!(at("grant", "end") > at("grant", "start"));
            let regions = p["regions"].as_array().unwrap();
            assert!(!regions.is_empty() && regions.len() <= 8);
            assert!(
                regions[0]["registers"]["rbar"]
                    .as_str()
                    .unwrap()
                    .starts_with("0x")
            );
        }
        assert_eq!(processes[0]["fault"], "restart(3)");
        assert_eq!(processes[1]["fault"], "restart");
        assert_eq!(processes[2]["fault"], "stop");
        assert_eq!(processes[1]["stack"], 4096);
        let loss = &plan["loss"];
        assert_eq!(loss["processes"].as_array().unwrap().len(), 3);
        let total = loss["total"]["mcu_build"].as_u64().unwrap();
        assert!(total <= loss["total"]["tock"].as_u64().unwrap());
        assert_eq!(plan["kernel"][0]["name"], "kernel-flash");
        assert_eq!(plan["kernel"][1]["name"], "kernel-sram");
    }
}

#[test]
fn mpu_check_proves_every_process_exact() {
    for board in BOARDS {
        let text = stdout(&["mpu", "check", "--config", FIXTURE, "--board", board]);
        assert_eq!(
            text.matches("nothing else (no grant, no other process, no kernel byte)")
                .count(),
            3,
            "{text}"
        );
        let json = stdout(&[
            "mpu", "check", "--config", FIXTURE, "--board", board, "--json",
        ]);
        let checked: serde_json::Value = serde_json::from_str(&json).unwrap();
        for p in checked["processes"].as_array().unwrap() {
            assert_eq!(p["report"]["findings"].as_array().unwrap().len(), 0, "{p}");
        }
        assert_eq!(checked["layout"].as_array().unwrap().len(), 0);
    }
}

#[test]
fn layout_draws_processes_and_grants_as_svg() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("map.svg");
    mcu_build()
        .args(["layout", "--config", FIXTURE, "--svg"])
        .arg(&svg)
        .assert()
        .success();
    let picture = std::fs::read_to_string(&svg).unwrap();
    roxmltree::Document::parse(&picture).unwrap();
    for name in ["sensor-flash", "radio-ram", "logger-grant"] {
        assert!(picture.contains(name), "{name}");
    }
    assert!(
        picture.contains("3 processes, up to 8 regions each, reprogrammed at every switch"),
        "{picture}"
    );
}

/// Writes the fixture with `from` replaced by `to` and runs `args` on it.
fn bad_config(from: &str, to: &str, command: &[&str], expected: &str) {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcu-build.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let expected = expected.replace("FILE", &path.display().to_string());
    mcu_build()
        .args(command)
        .arg("--config")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(expected));
}

#[test]
fn bad_process_tables_name_file_place_and_key() {
    for command in [&["layout"][..], &["mpu", "check"]] {
        bad_config(
            "name = \"radio\"",
            "name = \"sensor\"",
            command,
            "FILE:24:8: `process[1].name`: duplicate process name \"sensor\": process[0] \
             (line 13) has it already",
        );
        bad_config(
            "name = \"logger\"",
            "name = \"log-ger\"",
            command,
            "FILE:35:8: `process[2].name`: \"log-ger\" is not a process name",
        );
        bad_config(
            "fault = \"restart(3)\"",
            "fault = \"restart(0)\"",
            command,
            "FILE:21:9: `process[0].fault`: no fault policy \"restart(0)\"",
        );
        bad_config(
            "fault = \"restart\"",
            "fault = \"restart(x)\"",
            command,
            "FILE:32:9: `process[1].fault`: no fault policy \"restart(x)\"",
        );
        bad_config(
            "flash = \"8K\"",
            "flash = 0",
            command,
            "FILE:38:9: `process[2].flash`: 0 bytes",
        );
        bad_config(
            "[layout]",
            "[pass1]\ncargo = \"u\"\nbin = \"u\"\n[layout]",
            command,
            "FILE:15:1: `process[0]`: a project has either [pass1]",
        );
    }
}

#[test]
fn pass1_refuses_a_project_with_processes_naming_protect() {
    mcu_build()
        .args(["pass1", "--config", FIXTURE])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "{FIXTURE}:12:1: `process[0]`: `pass1`, `pass2` and `flat` build a [pass1] project; \
             a project with [[process]] tables is built by `mcu-build protect`, which builds \
             every process and the kernel"
        )));
}

#[test]
fn elf_names_must_be_processes_of_the_configuration() {
    mcu_build()
        .args(["layout", "--config", FIXTURE, "--elf", "gps=gps.elf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no process \"gps\" in the configuration; its processes are sensor, radio, logger",
        ));
    mcu_build()
        .args(["mpu", "check", "--config", FIXTURE])
        .args(["--elf", "radio=a.elf", "--elf", "radio=b.elf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--elf radio=b.elf: process radio has --elf a.elf already; give one ELF per process",
        ));
}

fn fixture_plan(board: &str) -> ProcessesPlan {
    let board = mcu_build::board::bundled(board).unwrap();
    let config = mcu_build::build::config::load_layout(Path::new(FIXTURE)).unwrap();
    let request = mcu_build::build::process_config::processes_request(
        config.request(&board),
        &config.processes,
        &Default::default(),
    )
    .unwrap();
    plan_processes(&board, &request).unwrap()
}

/// tock#4366: the last subregion of an app's RAM region overlapped its
/// grant. Enabling one more subregion (ARMv7-M), or raising the limit by a
/// granule (ARMv8-M), of the last RAM region must be caught and named.
#[test]
fn a_region_that_reaches_a_grant_is_caught_and_named() {
    for board in BOARDS {
        let plan = fixture_plan(board);
        let mut subregion_spills = 0;
        for process in &plan.processes {
            let mut programmed: Vec<(RegionNumber, Registers)> = process
                .regions
                .iter()
                .map(|r| (r.number, r.registers))
                .collect();
            let last = programmed.last_mut().unwrap();
            let into_grant = |r: &Registers| {
                let granted = match r {
                    Registers::Armv7m(v) => v.decode(last.0).unwrap().unwrap().granted(),
                    Registers::Armv8m(v) => vec![v.decode().unwrap().unwrap().range()],
                };
                granted
                    .iter()
                    .any(|g| g.start < process.grant.end && process.grant.start < g.end)
            };
            // Tock's bug: one more subregion of the last region enabled.
            let subregion = match last.1 {
                Registers::Armv7m(r) => (8..16)
                    .map(|bit| {
                        Registers::Armv7m(armv7m::Registers {
                            rasr: r.rasr & !(1 << bit),
                            ..r
                        })
                    })
                    .find(|candidate| into_grant(candidate)),
                Registers::Armv8m(r) => Some(Registers::Armv8m(armv8m::Registers {
                    rlar: r.rlar + GRANULE as u32,
                    ..r
                })),
            };
            subregion_spills += usize::from(subregion.is_some());
            // Otherwise an exact cover of the RAM and the grant's first granule.
            let spilled = subregion.unwrap_or_else(|| {
                let end = process.grant.start + GRANULE;
                let regions = plan
                    .arch
                    .cover(process.user_ram.start..end, 16, MemoryKind::Ram)
                    .unwrap();
                let region = regions.last().unwrap();
                region.registers(last.0)
            });
            assert!(into_grant(&spilled));
            last.1 = spilled;
            let verdict = verify_process(&plan, process, &programmed);
            assert!(!verdict.is_ok(), "{board} {}", process.name);
            let grant = format!("grant of {}", process.name);
            assert!(
                verdict.reached.iter().any(|r| r.owner == grant),
                "{board} {}: {:?}",
                process.name,
                verdict.reached
            );
            assert!(verdict.report.over_granted_bytes() >= GRANULE);
        }
        assert!(
            subregion_spills > 0,
            "{board}: no subregion reached a grant"
        );
    }
}

/// Giving process A's RAM region to process B must be caught as a reach
/// into A's RAM, and dropping B's flash region as an under-grant.
#[test]
fn another_process_region_is_caught() {
    let plan = fixture_plan("qemu-mps2-an505");
    let (a, b) = (&plan.processes[0], &plan.processes[1]);
    let mut programmed: Vec<(RegionNumber, Registers)> =
        b.regions.iter().map(|r| (r.number, r.registers)).collect();
    let stolen = a.regions.last().unwrap().registers;
    programmed[0].1 = stolen;
    let verdict = verify_process(&plan, b, &programmed);
    assert!(
        verdict
            .reached
            .iter()
            .any(|r| r.owner == format!("RAM of {}", a.name)),
        "{:?}",
        verdict.reached
    );
    assert!(
        verdict
            .report
            .findings
            .iter()
            .any(|f| f.to_string().starts_with("under-grant")),
        "{:?}",
        verdict.report.findings
    );
}

/// The least loss over every granule origin of every piece (not only
/// packed ones), every split of the regions: (flash loss, RAM loss).
fn brute_force(
    arch: Arch,
    budget: usize,
    windows: [(u64, u64); 2],
    pieces: [&[(u64, u64)]; 2],
) -> u64 {
    let n = pieces[0].len();
    let mut best = u64::MAX;
    let mut splits = vec![vec![]];
    for _ in 0..n {
        splits = splits
            .into_iter()
            .flat_map(|s: Vec<usize>| {
                (1..budget).map(move |a| {
                    let mut s = s.clone();
                    s.push(a);
                    s
                })
            })
            .collect();
    }
    let mut memo: [std::collections::HashMap<Vec<usize>, Option<u64>>; 2] = Default::default();
    for split in splits {
        let mut total = 0;
        for m in 0..2 {
            let allowed: Vec<usize> = split
                .iter()
                .map(|&a| if m == 0 { a } else { budget - a })
                .collect();
            let loss = *memo[m]
                .entry(allowed.clone())
                .or_insert_with(|| least_loss(arch, windows[m], pieces[m], &allowed));
            match loss {
                Some(l) => total += l,
                None => total = u64::MAX,
            }
            if total == u64::MAX {
                break;
            }
        }
        best = best.min(total);
    }
    best
}

/// The least (top - window start - bytes) over all origins of `pieces`
/// ((covered, tail) bytes) in the window, each covered part needing at
/// most `allowed[i]` regions there.
fn least_loss(
    arch: Arch,
    window: (u64, u64),
    pieces: &[(u64, u64)],
    allowed: &[usize],
) -> Option<u64> {
    let origins: Vec<Vec<u64>> = pieces
        .iter()
        .zip(allowed)
        .map(|(&(covered, tail), &k)| {
            (window.0..window.1)
                .step_by(GRANULE as usize)
                .filter(|&o| o + covered + tail <= window.1)
                .filter(|&o| {
                    arch.regions_needed(o..o + covered)
                        .is_some_and(|need| need <= k)
                })
                .collect()
        })
        .collect();
    let lens: Vec<u64> = pieces.iter().map(|(c, t)| c + t).collect();
    let bytes: u64 = lens.iter().sum();
    let mut best_top = u64::MAX;
    let mut placed: Vec<(u64, u64)> = Vec::new();
    fn go(
        i: usize,
        origins: &[Vec<u64>],
        lens: &[u64],
        placed: &mut Vec<(u64, u64)>,
        top: u64,
        best: &mut u64,
    ) {
        if top >= *best {
            return;
        }
        if i == origins.len() {
            *best = top;
            return;
        }
        for &o in &origins[i] {
            let end = o + lens[i];
            if end >= *best {
                break;
            }
            if placed.iter().any(|&(s, e)| o < e && s < end) {
                continue;
            }
            placed.push((o, end));
            go(i + 1, origins, lens, placed, top.max(end), best);
            placed.pop();
        }
    }
    go(0, &origins, &lens, &mut placed, window.0, &mut best_top);
    (best_top != u64::MAX).then(|| best_top - window.0 - bytes)
}

fn random_processes(rng: &mut Lcg, n: usize) -> Vec<ProcessRequest> {
    (0..n)
        .map(|i| {
            let granules = |rng: &mut Lcg, most: u64| (1 + rng.below(most)) * GRANULE;
            let ram = granules(rng, 12);
            ProcessRequest {
                name: format!("p{i}"),
                flash: granules(rng, 16),
                ram,
                grant: granules(rng, 3),
                stack: ram.min(64),
                heap: 0,
                fault: FaultPolicy::Stop,
            }
        })
        .collect()
}

/// Plans `processes` on a small random board, proves every process
/// exact, and compares the loss with brute force.
fn check_against_brute_force(
    board: &Board,
    kernel: (u64, u64),
    processes: Vec<ProcessRequest>,
    case: &str,
) -> Option<u64> {
    let request = ProcessesRequest {
        kernel: four_partitions(board, kernel.0, kernel.1),
        processes,
    };
    let plan = plan_processes(board, &request);
    let windows = [0, 1].map(|m| {
        let memory = &board.memories[m];
        let kernel = if m == 0 { kernel.0 } else { kernel.1 };
        let start = (u64::from(memory.origin) + kernel).next_multiple_of(GRANULE);
        (start, memory.end())
    });
    let flash: Vec<(u64, u64)> = request.processes.iter().map(|p| (p.flash, 0)).collect();
    let ram: Vec<(u64, u64)> = request.processes.iter().map(|p| (p.ram, p.grant)).collect();
    let mpu = board.mpu.unwrap();
    let budget = usize::from(mpu.regions - mpu.kernel_regions);
    let best = brute_force(mpu.arch, budget, windows, [&flash, &ram]);
    match plan {
        Err(e) => {
            assert_eq!(
                best,
                u64::MAX,
                "{case}: the planner failed ({e}) but brute force lost {best}"
            );
            None
        }
        Ok(plan) => {
            for verdict in verify(&plan) {
                assert!(verdict.is_ok(), "{case}: {:?}", verdict.report.findings);
            }
            assert_eq!(check_layout(&plan), [], "{case}");
            assert_eq!(plan.loss.total.mcu_build, best, "{case}: {plan:#?}");
            Some(best)
        }
    }
}

/// Two and three processes (where the planner tries every order and
/// split, so it must find the least loss) on 2 KiB memories at random
/// origins with 2 to 4 regions per process, on both MPU architectures.
#[test]
fn the_planner_loses_no_more_than_brute_force() {
    let mut rng = Lcg(0x005e_ed0f_9a7a);
    let (mut exact, mut lossy, mut refused) = (0, 0, 0);
    for case in 0..200 {
        let base = if case % 3 == 2 {
            "qemu-mps2-an505"
        } else {
            "qemu-mps2-an386"
        };
        let n = 2 + (case % 2) as usize;
        let regions = 2 + rng.below(3) as u8;
        let origin = |rng: &mut Lcg, high: u32| high + (rng.below(64) as u32) * 32;
        let flash = (origin(&mut rng, 0), 2048);
        let ram = (origin(&mut rng, 0x2000_0000), 2048);
        let board = small_board(base, flash, ram, regions);
        let kernel = (64 + rng.below(256), 96 + rng.below(256));
        let processes = random_processes(&mut rng, n);
        let text = format!(
            "case {case}: {base} {regions} regions, flash {flash:x?}, RAM {ram:x?}, kernel {kernel:?}, {processes:?}"
        );
        match check_against_brute_force(&board, kernel, processes, &text) {
            None => refused += 1,
            Some(0) => exact += 1,
            Some(_) => lossy += 1,
        }
    }
    // The cases must exercise all three outcomes.
    eprintln!("{exact} without loss, {lossy} with loss, {refused} that cannot be placed");
    assert!(
        exact >= 10 && lossy >= 10 && refused >= 1,
        "{exact} {lossy} {refused}"
    );
}

/// Above three processes the search is local: every plan must still be
/// exact, and fit wherever the processes fit packed without alignment on
/// ARMv8-M (where any granule origin is coverable with one region).
#[test]
fn many_processes_are_exact_and_pack_tightly_on_armv8m() {
    let mut rng = Lcg(0x1234_5678);
    for case in 0..20 {
        let n = 4 + rng.below(13) as usize;
        let base = if case % 2 == 0 {
            "qemu-mps2-an386"
        } else {
            "qemu-mps2-an505"
        };
        let board = small_board(
            base,
            (0, 64 * 1024),
            (0x2000_0000, 64 * 1024),
            4 + rng.below(5) as u8,
        );
        let request = ProcessesRequest {
            kernel: four_partitions(&board, 1024, 1024),
            processes: random_processes(&mut rng, n),
        };
        let plan = plan_processes(&board, &request).unwrap();
        for verdict in verify(&plan) {
            assert!(
                verdict.is_ok(),
                "case {case}: {:?}",
                verdict.report.findings
            );
        }
        assert_eq!(check_layout(&plan), [], "case {case}");
        if base.ends_with("an505") {
            assert_eq!(plan.loss.total.mcu_build, 0, "case {case}");
        }
        assert!(
            plan.loss.total.mcu_build <= plan.loss.total.tock,
            "case {case}"
        );
    }
}

/// `auto` sizes come from `--elf NAME=FILE` (a measuring link); without
/// one the error says what to give. An ELF linked elsewhere fails the
/// section check of `mpu check`.
#[test]
fn auto_sizes_are_measured_from_an_elf_and_checked_against_it() {
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replacen("flash = \"20K\"", "flash = \"auto\"", 1)
        .replacen("ram = \"6K\"", "ram = \"auto\"", 1);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcu-build.toml");
    std::fs::write(&config, text).unwrap();
    let elf = "tests/data/readme/kernel.elf";
    mcu_build()
        .args(["layout", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "process sensor: flash = \"auto\" is measured from the process's linked ELF; give \
             one (`--elf sensor=FILE` on the command line) or a size",
        ));
    let out = mcu_build()
        .args([
            "layout",
            "--json",
            "--elf",
            &format!("sensor={elf}"),
            "--config",
        ])
        .arg(&config)
        .assert()
        .success();
    let plan: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let data = std::fs::read(elf).unwrap();
    let extents = mcu_build::layout::elf_check::read_extents(&data).unwrap();
    let measured = mcu_build::layout::processes::measure::measure(&extents);
    let sensor = &plan["processes"][0];
    let len = |range: &str| {
        sensor[range]["end"].as_u64().unwrap() - sensor[range]["start"].as_u64().unwrap()
    };
    assert_eq!(len("flash"), measured.flash.next_multiple_of(GRANULE));
    assert!(len("user_ram") >= measured.ram + 2048 + 1024);
    assert_eq!(len("user_ram") % GRANULE, 0);
    // The kernel's ELF is not linked into sensor's partitions.
    mcu_build()
        .args([
            "mpu",
            "check",
            "--elf",
            &format!("sensor={elf}"),
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("is outside every user partition"));
}

/// The plan's own ranges: overlapping partitions and a grant that is not
/// the top of its RAM partition are findings.
#[test]
fn overlapping_partitions_and_a_misplaced_grant_are_findings() {
    let mut plan = fixture_plan("qemu-mps2-an386");
    assert_eq!(check_layout(&plan), []);
    plan.processes[1].flash = plan.processes[0].flash;
    plan.processes[2].grant.start -= GRANULE;
    let findings: Vec<String> = check_layout(&plan).iter().map(|f| f.to_string()).collect();
    assert!(
        findings.iter().any(|f| f.starts_with("sensor-flash")
            && f.contains("and radio-flash")
            && f.ends_with("overlap")),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("process logger: its grant")),
        "{findings:?}"
    );
}

/// A process ELF must lie in its flash and its RAM below the grant: a
/// section in its grant or in another process is misplaced.
#[test]
fn a_process_elf_in_its_grant_or_another_process_is_misplaced() {
    use mcu_build::layout::elf_check::Extent;
    use mcu_build::layout::processes::verify::check_elf;
    let plan = fixture_plan("qemu-mps2-an505");
    let sensor = &plan.processes[0];
    let extent = |name: &str, start: u64, end: u64, writable: bool| Extent {
        name: name.into(),
        start,
        end,
        executable: !writable,
        writable,
    };
    let inside = [
        extent(".text", sensor.flash.start, sensor.flash.end, false),
        extent(".bss", sensor.user_ram.start, sensor.user_ram.end, true),
    ];
    assert_eq!(check_elf(&plan, "sensor", &inside).unwrap(), []);
    let into_grant = [extent(
        ".bss",
        sensor.user_ram.start,
        sensor.grant.start + 4,
        true,
    )];
    let misplaced = check_elf(&plan, "sensor", &into_grant).unwrap();
    assert_eq!(misplaced.len(), 1);
    let text = misplaced[0].to_string();
    assert!(
        text.contains("overflows partition sensor-ram (") && text.ends_with(") by 4 bytes"),
        "{text}"
    );
    let radio = &plan.processes[1];
    let elsewhere = [extent(
        ".data",
        radio.user_ram.start,
        radio.user_ram.start + 8,
        true,
    )];
    assert!(
        check_elf(&plan, "sensor", &elsewhere).unwrap()[0]
            .to_string()
            .contains("outside every user partition")
    );
    assert!(check_elf(&plan, "gps", &inside).is_err());
}

/// Nothing panics on input: the fixture with random bytes replaced, read
/// as a configuration, and random requests (sizes of 0, off the granule,
/// beyond the memory, beyond 4 GiB) planned on every bundled board.
#[test]
fn mutated_configurations_and_random_requests_do_not_panic() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut rng = Lcg(0x00ba_d5ee_d000);
    let alphabet = b"[]=\"'#.,(){}0123456789xKMauto_- \nprocessflashramgrant";
    for _ in 0..2000 {
        let mut bytes = text.clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
        }
        if let Ok(mutated) = String::from_utf8(bytes) {
            let _ = mcu_build::build::config::parse_layout(&mutated, Path::new("m.toml"));
        }
    }
    let sizes = [
        0,
        1,
        31,
        32,
        96,
        4096,
        0x1_0000,
        0x40_0000,
        0xffff_ffe0,
        0x1_0000_0000,
    ];
    for name in mcu_build::board::bundled_names() {
        let board = mcu_build::board::bundled(name).unwrap();
        for _ in 0..20 {
            let count = 1 + rng.below(5);
            let mut pick = || sizes[rng.below(sizes.len() as u64) as usize];
            let processes = (0..count)
                .map(|i| ProcessRequest {
                    name: format!("p{i}"),
                    flash: pick(),
                    ram: pick(),
                    grant: pick(),
                    stack: pick(),
                    heap: pick(),
                    fault: FaultPolicy::Restart { limit: Some(1) },
                })
                .collect();
            let request = ProcessesRequest {
                kernel: board.partitions.clone(),
                processes,
            };
            if let Ok(plan) = plan_processes(&board, &request) {
                assert!(
                    verify(&plan).iter().all(|v| v.is_ok()),
                    "{name}: {request:?}"
                );
                assert_eq!(check_layout(&plan), []);
            }
        }
    }
}
