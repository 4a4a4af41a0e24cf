using System.Globalization;
using System.Text.Json;
using Bms.Firmware.Events;
using Bms.Replay.Engine;

namespace Bms.Replay.Scenarios;

/// <summary>
/// What a scenario trace must and must not make the BMS do, read from <c>NAME.expect.json</c> beside
/// <c>NAME.csv</c> (or <c>NAME~VARIANT.expect.json</c> for further runs of the same trace with other
/// settings, e.g. an injected fault). See tools/Bms.Replay/README.md "Scenario expectations" for the format.
/// Unknown keys are refused so a typo cannot silently disable a check.
/// </summary>
public sealed class ScenarioExpectation
{
    public string File { get; private init; } = "";
    public string Description { get; private init; } = "";
    public string? Afe { get; private init; }
    public string? Chemistry { get; private init; }
    public double? SocInit_pct { get; private init; }
    public int CurrentOffset_mA { get; private init; }
    public IReadOnlyList<InjectionSpec> Inject { get; private init; } = Array.Empty<InjectionSpec>();
    public double? StopAfter_s { get; private init; }
    public IReadOnlyList<EventPattern> Must { get; private init; } = Array.Empty<EventPattern>();
    public IReadOnlyList<EventPattern> MustNot { get; private init; } = Array.Empty<EventPattern>();
    public ProtectionLevel? MaxLevel { get; private init; }
    public double? MaxSocRmse_pct { get; private init; }
    public double? MaxSocAbsErr_pct { get; private init; }
    public double? MaxSocAbsErrAfter600s_pct { get; private init; }
    public double? ContactorsOpenBy_s { get; private init; }
    public bool ContactorsStayClosed { get; private init; }

    /// <summary>The trace an expectation file belongs to: <c>NAME[~VARIANT].expect.json</c> → <c>NAME.csv</c>.</summary>
    public static string TracePathFor(string expectPath)
    {
        string name = Path.GetFileName(expectPath);
        if (!name.EndsWith(".expect.json", StringComparison.Ordinal)) throw new ArgumentException("not an .expect.json file: " + expectPath);
        string stem = name.Substring(0, name.Length - ".expect.json".Length);
        int tilde = stem.IndexOf('~');
        if (tilde >= 0) stem = stem.Substring(0, tilde);
        return Path.Combine(Path.GetDirectoryName(expectPath) ?? "", stem + ".csv");
    }

    /// <summary>The settings this expectation replays its trace with.</summary>
    public ReplaySettings Settings(string? csvPath = null) => new()
    {
        Afe = Afe,
        Chemistry = Chemistry,
        SocInit_pcm = SocInit_pct is double p ? (int)Math.Round(p * 1000) : null,
        CurrentOffset_mA = CurrentOffset_mA,
        Injections = Inject,
        StopAfter_ms = StopAfter_s is double s ? (long)Math.Round(s * 1000) : null,
        CsvPath = csvPath,
    };

    /// <summary>Every way <paramref name="result"/> breaks this expectation (empty = met).</summary>
    public IReadOnlyList<string> Check(ReplayResult result)
    {
        var failures = new List<string>();
        var raised = result.Raised.ToList();
        foreach (var pattern in Must)
        {
            if (!raised.Any(pattern.Matches))
            {
                var near = raised.Where(e => pattern.Code is null || e.Code.ToString() == pattern.Code).Take(5).ToList();
                failures.Add("missing: " + pattern + (near.Count == 0 ? " (no such event at all)" : " (saw " + string.Join(", ", near.Select(Describe)) + ")"));
            }
        }
        foreach (var pattern in MustNot)
            foreach (var e in raised.Where(pattern.Matches).Take(5))
                failures.Add("forbidden: " + Describe(e) + " matches " + pattern);
        if (MaxLevel is ProtectionLevel max && result.HighestLevel > max)
        {
            var first = raised.FirstOrDefault(e => e.Level > max);
            failures.Add("level " + Name(result.HighestLevel) + " exceeds the allowed " + Name(max) +
                         (first.Code != BmsEventCode.None ? " (first: " + Describe(first) + ")" : ""));
        }
        if (MaxSocRmse_pct is not null || MaxSocAbsErr_pct is not null || MaxSocAbsErrAfter600s_pct is not null)
        {
            if (result.Soc is null)
            {
                failures.Add("SoC limits are set but the trace has no soc_ref_pcm");
            }
            else if (result.Soc.Count == 0)
            {
                failures.Add("SoC limits are set but the firmware never produced an estimate (PackSoc_pcm stayed -1)");
            }
            else
            {
                if (result.Soc.Rmse_pct > MaxSocRmse_pct)
                    failures.Add("SoC RMSE " + F(result.Soc.Rmse_pct) + " % > " + F(MaxSocRmse_pct.Value) + " %");
                if (result.Soc.MaxAbsError_pct > MaxSocAbsErr_pct)
                    failures.Add("SoC max |error| " + F(result.Soc.MaxAbsError_pct) + " % > " + F(MaxSocAbsErr_pct.Value) + " %");
                if (result.Soc.MaxAbsErrorAfterSettling_pct > MaxSocAbsErrAfter600s_pct)
                    failures.Add("SoC max |error| after 600 s " + F(result.Soc.MaxAbsErrorAfterSettling_pct) + " % > " + F(MaxSocAbsErrAfter600s_pct.Value) + " %");
            }
        }
        if (ContactorsOpenBy_s is double by && (result.ContactorsOpened_s is null || result.ContactorsOpened_s > by))
            failures.Add("contactors must open by " + F(by) + " s but " + (result.ContactorsOpened_s is double o ? "opened at " + F(o) + " s" : "never opened"));
        if (ContactorsStayClosed && result.ContactorsOpened_s is double opened)
            failures.Add("contactors must stay closed but opened at " + F(opened) + " s");
        return failures;
    }

    public static ScenarioExpectation Load(string path)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        string file = Path.GetFileName(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad(file, "the top level must be an object");
        var known = new HashSet<string>
        {
            "description", "afe", "chemistry", "soc_init_pct", "current_offset_mA", "inject", "stop_after_s", "must", "must_not",
            "max_level", "soc", "contactors_open_by_s", "contactors_stay_closed",
        };
        foreach (var p in root.EnumerateObject())
            if (!known.Contains(p.Name)) throw Bad(file, "unknown key '" + p.Name + "' (known: " + string.Join(", ", known) + ")");

        double? socRmse = null, socMax = null, socAfter = null;
        if (root.TryGetProperty("soc", out var soc))
        {
            foreach (var p in soc.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "max_rmse_pct": socRmse = p.Value.GetDouble(); break;
                    case "max_abs_err_pct": socMax = p.Value.GetDouble(); break;
                    case "max_abs_err_after_600s_pct": socAfter = p.Value.GetDouble(); break;
                    default: throw Bad(file, "unknown key 'soc." + p.Name + "' (known: max_rmse_pct, max_abs_err_pct, max_abs_err_after_600s_pct)");
                }
            }
        }
        var inject = new List<InjectionSpec>();
        if (root.TryGetProperty("inject", out var inj))
        {
            foreach (var item in inj.EnumerateArray())
            {
                try { inject.Add(InjectionSpec.Parse(item.GetString() ?? "")); }
                catch (FormatException e) { throw Bad(file, e.Message); }
            }
        }
        return new ScenarioExpectation
        {
            File = file,
            Description = Str(root, "description") ?? "",
            Afe = Str(root, "afe"),
            Chemistry = Str(root, "chemistry"),
            SocInit_pct = Num(root, "soc_init_pct"),
            CurrentOffset_mA = (int)(Num(root, "current_offset_mA") ?? 0),
            Inject = inject,
            StopAfter_s = Num(root, "stop_after_s"),
            Must = Patterns(file, root, "must", ProtectionLevel.Warning),
            MustNot = Patterns(file, root, "must_not", ProtectionLevel.Warning),
            MaxLevel = Str(root, "max_level") is string lv ? ParseLevel(file, lv, allowNone: true) : null,
            MaxSocRmse_pct = socRmse,
            MaxSocAbsErr_pct = socMax,
            MaxSocAbsErrAfter600s_pct = socAfter,
            ContactorsOpenBy_s = Num(root, "contactors_open_by_s"),
            ContactorsStayClosed = root.TryGetProperty("contactors_stay_closed", out var stay) && stay.GetBoolean(),
        };
    }

    private static IReadOnlyList<EventPattern> Patterns(string file, JsonElement root, string key, ProtectionLevel defaultLevel)
    {
        var list = new List<EventPattern>();
        if (!root.TryGetProperty(key, out var array)) return list;
        foreach (var item in array.EnumerateArray())
        {
            foreach (var p in item.EnumerateObject())
                if (p.Name is not ("code" or "level" or "cell" or "by_s" or "after_s"))
                    throw Bad(file, "unknown key '" + key + "[]." + p.Name + "' (known: code, level, cell, by_s, after_s)");
            string code = Str(item, "code") ?? throw Bad(file, key + "[] needs a 'code' (a BmsEventCode name, or \"*\" for any)");
            if (code != "*" && !Enum.TryParse<BmsEventCode>(code, ignoreCase: false, out _))
                throw Bad(file, "'" + code + "' is not a BmsEventCode (known: " + string.Join(", ", Enum.GetNames<BmsEventCode>().Skip(1)) + ")");
            var level = Str(item, "level") is string l ? ParseLevel(file, l, allowNone: false) : defaultLevel;
            int? cell = item.TryGetProperty("cell", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null;
            list.Add(new EventPattern(code == "*" ? null : code, level, cell, Num(item, "after_s"), Num(item, "by_s")));
        }
        return list;
    }

    private static ProtectionLevel ParseLevel(string file, string text, bool allowNone) => text switch
    {
        "none" when allowNone => ProtectionLevel.None,
        "warning" => ProtectionLevel.Warning,
        "alarm" => ProtectionLevel.Alarm,
        "fault" => ProtectionLevel.Fault,
        _ => throw Bad(file, "level '" + text + "' is not one of " + (allowNone ? "none, " : "") + "warning, alarm, fault"),
    };

    private static string? Str(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static double? Num(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    private static FormatException Bad(string file, string reason) => new(file + ": " + reason);
    private static string Name(ProtectionLevel level) => level == ProtectionLevel.None ? "none" : Output.JsonSummaryWriter.LevelName(level);
    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Describe(ReplayEvent e) =>
        e.Code + "/" + Name(e.Level) + (e.Cell >= 0 ? " cell " + (e.Cell + 1) : "") + " at " + F(e.Time_ms / 1000.0) + " s";
}

/// <summary>
/// Matches raised events: <see cref="Code"/> (null = any), level at least <see cref="MinLevel"/>, the 1-based
/// <see cref="Cell"/> if given, and a time window [<see cref="After_s"/>, <see cref="By_s"/>] if given.
/// </summary>
public sealed record EventPattern(string? Code, ProtectionLevel MinLevel, int? Cell, double? After_s, double? By_s)
{
    public bool Matches(ReplayEvent e) =>
        e.Active
        && (Code is null || e.Code.ToString() == Code)
        && e.Level >= MinLevel
        && (Cell is null || e.Cell + 1 == Cell)
        && (After_s is null || e.Time_ms >= After_s * 1000)
        && (By_s is null || e.Time_ms <= By_s * 1000);

    public override string ToString() =>
        (Code ?? "any event") + " at level ≥ " + Output.JsonSummaryWriter.LevelName(MinLevel) + (Cell is int c ? " on cell " + c : "") +
        (After_s is double a ? " after " + a.ToString(CultureInfo.InvariantCulture) + " s" : "") +
        (By_s is double b ? " by " + b.ToString(CultureInfo.InvariantCulture) + " s" : "");
}
