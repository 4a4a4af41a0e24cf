using System.Globalization;
using System.Text;
using Bms.Firmware.Events;
using Bms.Replay.Engine;
using ScottPlot;

namespace Bms.Replay.Output;

/// <summary>
/// Writes the report folder: <c>report.md</c> (one section per trace) with PNG plots beside it, and
/// <c>summary.json</c> (the same content as <c>--json</c>).
/// </summary>
public static class ReportWriter
{
    private const int Width = 1200, Height = 420;

    /// <summary>Writes everything into <paramref name="directory"/> and returns the path of report.md.</summary>
    public static string Write(string directory, IReadOnlyList<ReplayResult> results)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder();
        md.Append("# BMS replay report\n\n");
        md.Append("Each trace was replayed through the emulated chip, the real driver and the real firmware on a virtual clock ")
          .Append("(10 ms polls). Times are seconds from the trace's first sample.\n\n");
        md.Append("| trace | AFE | chemistry | duration | highest level | events | SoC RMSE | contactors opened |\n");
        md.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            md.Append("| ").Append(r.Trace).Append(" | ").Append(r.Afe).Append(" | ").Append(r.Chemistry).Append(" | ")
              .Append(Duration(r.Duration_s)).Append(" | ").Append(LevelText(r.HighestLevel)).Append(" | ")
              .Append(r.Raised.Count()).Append(" | ")
              .Append(r.Soc is null ? "n/a" : F(r.Soc.Rmse_pct) + " %").Append(" | ")
              .Append(r.ContactorsOpened_s is double o ? F(o) + " s" : "never").Append(" |\n");
        }
        md.Append('\n');

        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in results)
        {
            string stem = UniqueStem(r.Trace, used);
            WriteSection(md, directory, stem, r);
        }

        string path = Path.Combine(directory, "report.md");
        File.WriteAllText(path, md.ToString(), new UTF8Encoding(false));
        JsonSummaryWriter.Write(Path.Combine(directory, "summary.json"), results);
        return path;
    }

    private static void WriteSection(StringBuilder md, string directory, string stem, ReplayResult r)
    {
        md.Append("## ").Append(r.Trace).Append("\n\n");
        md.Append("- ").Append(r.Cells).Append(" cells, ").Append(r.Temps).Append(r.Temps == 1 ? " temperature, " : " temperatures, ").Append(r.Samples)
          .Append(" samples over ").Append(Duration(r.Duration_s)).Append('\n');
        md.Append("- AFE `").Append(r.Afe).Append("`, chemistry `").Append(r.Chemistry).Append("`\n");
        if (r.Injections.Count > 0)
            md.Append("- injected: ").Append(string.Join(", ", r.Injections.Select(i => "`" + i.Text + "`"))).Append('\n');
        md.Append("- highest protection level: **").Append(LevelText(r.HighestLevel)).Append("**\n");
        md.Append("- thermal-runaway alarm: ").Append(r.ThermalRunawayAlarm_s is double tr ? F(tr) + " s" : "none").Append('\n');
        md.Append("- contactors opened: ").Append(r.ContactorsOpened_s is double co ? F(co) + " s" : "never").Append('\n');
        if (r.Soc is { Count: 0 })
        {
            md.Append("- SoC error: the firmware never produced an estimate (PackSoc_pcm stayed -1)\n");
        }
        else if (r.Soc is { } soc)
        {
            md.Append("- SoC error vs reference (").Append(soc.Count).Append(" points): RMSE ").Append(F(soc.Rmse_pct))
              .Append(" %, max |err| ").Append(F(soc.MaxAbsError_pct)).Append(" %, max |err| after 600 s ")
              .Append(F(soc.MaxAbsErrorAfterSettling_pct)).Append(" %, final ").Append(F(soc.FinalError_pct)).Append(" %")
              .Append(soc.NotStarted > 0 ? " (" + soc.NotStarted + " reference rows before the estimator started are not compared)" : "").Append('\n');
        }
        else
        {
            md.Append("- SoC error: no reference in the trace\n");
        }
        md.Append("- bus: ").Append(r.Bus.BytesPerScan).Append(" bytes per scan, ").Append(r.Bus.Transfers).Append(" transfers, ")
          .Append(r.Bus.CrcErrors).Append(" CRC errors, ").Append(r.Bus.Retries).Append(" retries\n");
        md.Append("- firmware: ").Append(r.Perf.Ticks).Append(" polls, ").Append(F(r.Perf.AllocBytesPerTick))
          .Append(" bytes allocated per poll in steady state\n\n");

        var raised = r.Events.ToList();
        if (raised.Count > 0)
        {
            md.Append("### Events\n\n| t [s] | level | code | cell | |\n|---|---|---|---|---|\n");
            int shown = 0;
            foreach (var e in raised)
            {
                if (shown++ == 100)
                {
                    md.Append("| … | | ").Append(raised.Count - 100).Append(" more (see --json) | | |\n");
                    break;
                }
                md.Append("| ").Append(F(e.Time_ms / 1000.0)).Append(" | ").Append(JsonSummaryWriter.LevelName(e.Level))
                  .Append(" | ").Append(e.Code).Append(" | ").Append(e.Cell >= 0 ? (e.Cell + 1).ToString(CultureInfo.InvariantCulture) : "")
                  .Append(" | ").Append(e.Active ? "raised" : "cleared").Append(" |\n");
            }
            md.Append('\n');
        }

        foreach (var (suffix, title, render) in Plots)
        {
            string file = stem + "-" + suffix + ".png";
            var plot = new Plot();
            render(plot, r);
            plot.Title(r.Trace + ": " + title);
            plot.XLabel("time [s]");
            plot.SavePng(Path.Combine(directory, file), Width, Height);
            md.Append("![").Append(title).Append("](").Append(file).Append(")\n\n");
        }
    }

    private static readonly (string Suffix, string Title, Action<Plot, ReplayResult> Render)[] Plots =
    {
        ("voltages", "cell voltages", CellVoltages),
        ("current", "current", Current),
        ("temperatures", "temperatures", Temperatures),
        ("soc", "state of charge", Soc),
        ("limits", "current limits", Limits),
        ("timeline", "protection level, events and contactors", Timeline),
    };

    private static void CellVoltages(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        double[] t = s.Time_s.ToArray();
        for (int i = 0; i < s.CellMeasured_mV.Length; i++)
            Line(plot, t, s.CellMeasured_mV[i].Select(v => v / 1000.0).ToArray(), "cell " + (i + 1));
        plot.YLabel("measured by the firmware [V]");
        if (s.CellMeasured_mV.Length <= 16) plot.ShowLegend(Alignment.LowerLeft);
    }

    private static void Current(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        double[] t = s.Time_s.ToArray();
        Line(plot, t, s.TraceCurrent_mA.Select(v => v / 1000.0).ToArray(), "trace");
        Line(plot, t, s.MeasuredCurrent_mA.Select(v => v / 1000.0).ToArray(), "measured by the firmware");
        plot.YLabel("current [A] (+ = charging)");
        plot.ShowLegend(Alignment.LowerLeft);
    }

    private static void Temperatures(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        double[] t = s.Time_s.ToArray();
        for (int i = 0; i < s.Temp_dC.Length; i++) Line(plot, t, s.Temp_dC[i].Select(v => v / 10.0).ToArray(), "t" + (i + 1));
        plot.YLabel("temperature [°C]");
        if (s.Temp_dC.Length > 0) plot.ShowLegend(Alignment.UpperLeft);
    }

    private static void Soc(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        Line(plot, s.Time_s.ToArray(), s.Soc_pct.ToArray(), "firmware");
        if (s.SocRef_pct.Count > 0) Line(plot, s.SocRefTime_s.ToArray(), s.SocRef_pct.ToArray(), "reference");
        plot.YLabel("state of charge [%]");
        plot.ShowLegend(Alignment.LowerLeft);
    }

    private static void Limits(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        double[] t = s.Time_s.ToArray();
        Line(plot, t, s.ChargeLimit_A.ToArray(), "charge limit");
        Line(plot, t, s.DischargeLimit_A.ToArray(), "discharge limit");
        plot.YLabel("current limit [A]");
        plot.ShowLegend(Alignment.LowerLeft);
    }

    private static void Timeline(Plot plot, ReplayResult r)
    {
        var s = r.Series;
        double[] t = s.Time_s.ToArray();
        Line(plot, t, s.Level.ToArray(), "highest active level (0 none … 3 fault)", step: true);
        Line(plot, t, s.ContactorsClosed.Select(v => v * 0.5).ToArray(), "main contactors closed (0.5)", step: true);
        foreach (var group in r.Raised.GroupBy(e => e.Code))
        {
            var sc = plot.Add.Scatter(group.Select(e => e.Time_ms / 1000.0).ToArray(), group.Select(e => (double)(int)e.Level).ToArray());
            sc.LineWidth = 0;
            sc.MarkerSize = 9;
            sc.LegendText = group.Key.ToString();
        }
        plot.Axes.SetLimitsY(-0.2, 3.4);
        plot.YLabel("level");
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static void Line(Plot plot, double[] t, double[] y, string label, bool step = false)
    {
        if (t.Length == 0) return;
        var sc = plot.Add.Scatter(t, y);
        sc.MarkerSize = 0;
        sc.LineWidth = 1.5f;
        sc.LegendText = label;
        if (step) sc.ConnectStyle = ConnectStyle.StepHorizontal;
    }

    private static string UniqueStem(string trace, HashSet<string> used)
    {
        string stem = Path.GetFileNameWithoutExtension(trace);
        var clean = new StringBuilder();
        foreach (char ch in stem) clean.Append(char.IsAsciiLetterOrDigit(ch) || ch == '-' || ch == '_' ? ch : '_');
        string candidate = clean.ToString();
        for (int n = 2; !used.Add(candidate); n++) candidate = clean + "-" + n;
        return candidate;
    }

    private static string LevelText(ProtectionLevel level) => level == ProtectionLevel.None ? "none" : JsonSummaryWriter.LevelName(level);

    private static string Duration(double seconds) =>
        seconds >= 3600 ? F(seconds / 3600.0) + " h" : seconds >= 60 ? F(seconds / 60.0) + " min" : F(seconds) + " s";

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
