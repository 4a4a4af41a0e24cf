using System.Text;
using System.Text.Json;
using Bms.Firmware.Events;
using Bms.Replay.Engine;

namespace Bms.Replay.Output;

/// <summary>
/// Writes the <c>--json</c> summary. One trace → one object; several traces → an array of such objects in
/// the order given. Keys are fixed (see README "JSON summary"); absent figures are null, never left out.
/// </summary>
public static class JsonSummaryWriter
{
    public static void Write(string path, IReadOnlyList<ReplayResult> results)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson(results), new UTF8Encoding(false));
    }

    public static string ToJson(IReadOnlyList<ReplayResult> results)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            if (results.Count == 1)
            {
                WriteOne(json, results[0]);
            }
            else
            {
                json.WriteStartArray();
                foreach (var r in results) WriteOne(json, r);
                json.WriteEndArray();
            }
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    public static void WriteOne(Utf8JsonWriter json, ReplayResult r)
    {
        json.WriteStartObject();
        json.WriteString("trace", r.Trace);
        json.WriteNumber("cells", r.Cells);
        json.WriteNumber("samples", r.Samples);
        json.WriteNumber("duration_s", Math.Round(r.Duration_s, 3));
        json.WriteString("afe", r.Afe);
        WriteSoc(json, r.Soc);
        json.WriteStartArray("events");
        foreach (var e in r.Raised)
        {
            json.WriteStartObject();
            json.WriteNumber("t_s", Math.Round(e.Time_ms / 1000.0, 3));
            json.WriteString("level", LevelName(e.Level));
            json.WriteString("code", e.Code.ToString());
            if (e.Cell >= 0) json.WriteNumber("cell", e.Cell + 1); else json.WriteNull("cell");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteSeconds(json, "thermal_runaway_alarm_s", r.ThermalRunawayAlarm_s);
        WriteSeconds(json, "contactors_opened_s", r.ContactorsOpened_s);
        json.WriteStartObject("bus");
        json.WriteNumber("bytes_per_scan", r.Bus.BytesPerScan);
        json.WriteNumber("transfers", r.Bus.Transfers);
        json.WriteNumber("crc_errors", r.Bus.CrcErrors);
        json.WriteNumber("retries", r.Bus.Retries);
        json.WriteEndObject();
        json.WriteStartObject("perf");
        json.WriteNumber("ticks", r.Perf.Ticks);
        json.WriteNumber("alloc_bytes_per_tick", Math.Round(r.Perf.AllocBytesPerTick, 3));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSoc(Utf8JsonWriter json, SocErrorStatistics? soc)
    {
        if (soc is null)
        {
            json.WriteNull("soc");
            return;
        }
        json.WriteStartObject("soc");
        if (soc.Count == 0)
        {
            // a reference exists but the firmware never produced an estimate: not the same as "no reference"
            foreach (string key in new[] { "rmse_pct", "max_abs_err_pct", "max_abs_err_after_600s_pct", "final_err_pct" }) json.WriteNull(key);
        }
        else
        {
            json.WriteNumber("rmse_pct", Math.Round(soc.Rmse_pct, 3));
            json.WriteNumber("max_abs_err_pct", Math.Round(soc.MaxAbsError_pct, 3));
            json.WriteNumber("max_abs_err_after_600s_pct", Math.Round(soc.MaxAbsErrorAfterSettling_pct, 3));
            json.WriteNumber("final_err_pct", Math.Round(soc.FinalError_pct, 3));
        }
        json.WriteEndObject();
    }

    /// <summary>warning | alarm | fault (the JSON spelling of a level).</summary>
    public static string LevelName(ProtectionLevel level) => level switch
    {
        ProtectionLevel.Warning => "warning",
        ProtectionLevel.Alarm => "alarm",
        ProtectionLevel.Fault => "fault",
        _ => "none",
    };

    private static void WriteSeconds(Utf8JsonWriter json, string name, double? seconds)
    {
        if (seconds is double s) json.WriteNumber(name, Math.Round(s, 3)); else json.WriteNull(name);
    }
}
