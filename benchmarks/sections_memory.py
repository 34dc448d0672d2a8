"""The benchmark's memory section, as a mixin of run.py's Bench: 5. peak memory against session
length, warm (wait4) and cold (the render process and each voice worker apart, proctree.py)."""

from __future__ import annotations

import shutil

from common import env_with_cache, log, median, run, summary


class MemorySections:
    # -- 5. peak memory against session length --
    def memory(self) -> None:
        rows = []
        plan = list(self.sweep) + ([self.control] if self.control else [])
        e2e = self.results.get("e2e")
        for index, (workload, minutes) in enumerate(plan):
            control = self.control is not None and index == len(plan) - 1
            runs = 1 if control else self.memory_runs
            if (workload, minutes) == self.session and e2e and not control:  # the MP3 warm renders already measured it
                rss, walls = e2e["mp3-warm"]["maxrss_mb"]["runs"], e2e["mp3-warm"]["wall_s"]["runs"]
                log(f"   {minutes:g} min: from the end-to-end MP3 renders: {median(rss):.0f} MB")
            else:
                rss, walls = [], []
                for r in range(runs):
                    out = self.work / f"memory-{int(minutes)}.mp3"
                    proc = self.render(workload, minutes, out, self.warm_cache)
                    out.unlink(missing_ok=True)
                    rss.append(proc.maxrss_mb)
                    walls.append(proc.wall_s)
                    log(f"   {workload.name} at {minutes:g} min, run {r + 1}/{runs}: {proc.maxrss_mb:.0f} MB, {proc.wall_s:.1f} s")
            rows.append(
                {
                    "workload": workload.name,
                    "minutes": minutes,
                    "control": control,
                    "maxrss_mb": summary(rss, "MB"),
                    "wall_s": summary(walls, "s"),
                    "realtime_x": round(minutes * 60 / median(walls), 2),
                }
            )
        self.results["memory"] = {
            "command": "sessiongen render WORKLOAD --minutes M -o OUT.mp3 --sidecars none (warm cache); max RSS of the "
            "render process from wait4, which includes the speech-engine child it reaps",
            "rows": rows,
            "cold": self.memory_cold(),
        }

    def memory_cold(self) -> dict:
        """Cold renders (an empty cache folder: pace calibration, synthesis, render): the peak RSS
        of the render process and of each voice worker, separately (polled, proctree)."""
        rows = []
        for workload, minutes in self.cold_sweep:
            runs = []
            for r in range(self.memory_runs):
                cache, out = self.fresh_cache(), self.work / f"memory-cold-{int(minutes)}.mp3"
                argv = [*self.sessiongen, "render", workload, "--minutes", f"{minutes:g}", "-o", out, "--sidecars", "none"]
                proc = run(argv, env_with_cache(cache), watch=True)
                out.unlink(missing_ok=True)
                shutil.rmtree(cache, ignore_errors=True)
                render = [p for p in proc.processes if p["role"] == "command"]
                workers = [p for p in proc.processes if p["role"] == "worker"]
                runs.append(
                    {
                        "wall_s": proc.wall_s,
                        "maxrss_wait4_mb": round(proc.maxrss_mb, 1),
                        "render_mb": max((p["vmhwm_mb"] for p in render), default=None),
                        "workers_mb": [p["vmhwm_mb"] for p in workers],
                        "processes": proc.processes,
                    }
                )
                log(
                    f"   cold {workload.name} at {minutes:g} min, run {r + 1}/{self.memory_runs}: render process "
                    f"{runs[-1]['render_mb']} MB, workers {runs[-1]['workers_mb']} MB (wait4, all: {proc.maxrss_mb:.0f} MB), {proc.wall_s:.1f} s"
                )
            rows.append(
                {
                    "workload": workload.name,
                    "minutes": minutes,
                    "render_mb": summary([x["render_mb"] for x in runs], "MB"),
                    "worker_max_mb": summary([max(x["workers_mb"], default=None) for x in runs if x["workers_mb"]], "MB"),
                    "workers": max(len(x["workers_mb"]) for x in runs),
                    "maxrss_wait4_mb": summary([x["maxrss_wait4_mb"] for x in runs], "MB"),
                    "wall_s": summary([x["wall_s"] for x in runs], "s"),
                    "runs": runs,
                }
            )
        from sessiongen import speech

        return {
            "engine": speech.choose_engine(None, None)[0],  # the default voice's engine, which these renders use
            "command": "sessiongen render WORKLOAD --minutes M -o OUT.mp3 --sidecars none, an empty SESSIONGEN_CACHE_DIR "
            "(pace calibration, synthesis by the voice workers, render)",
            "how": "VmHWM of every process under the launcher, from /proc/PID/status every 0.1 s (benchmarks/proctree.py): "
            "'render' is the sessiongen process, 'workers' its multiprocessing children (the voice workers); "
            "maxrss_wait4_mb is wait4's figure for the whole tree (the largest of them)",
            "rows": rows,
        }
