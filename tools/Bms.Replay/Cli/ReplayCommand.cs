using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Bms.Replay.Engine;

namespace Bms.Replay.Cli;

/// <summary><c>replay TRACE... [options]</c>.</summary>
public static class ReplayCommand
{
    public static readonly string[] AfeNames = { "bq76952", "bq76940", "ltc6813" };

    public static Command Create()
    {
        var traces = new Argument<string[]>("TRACE")
        {
            Description = "Trace files (format v1, DESIGN.md section 6). Each is checked completely before anything is replayed.",
            Arity = ArgumentArity.OneOrMore,
        };
        var afe = new Option<string?>("--afe")
        {
            Description = "Cell-monitor chip to emulate: bq76952, bq76940 or ltc6813 (default: bq76952 up to 16 cells, else ltc6813).",
            HelpName = "CHIP",
        };
        afe.AcceptOnlyFromAmong(AfeNames);
        var chemistry = new Option<string?>("--chemistry")
        {
            Description = "Chemistry profile: nmc-graphite, lfp, lto or li-metal-ss (default: the trace's 'chemistry' metadata, else nmc-graphite).",
            HelpName = "NAME",
        };
        var socInit = new Option<double?>("--soc-init")
        {
            Description = "Initial state of charge for the estimator, in % (0..100), instead of its own start-up estimate.",
            HelpName = "PCT",
        };
        socInit.Validators.Add(result =>
        {
            double? value = result.GetValueOrDefault<double?>();
            if (value is double v && (double.IsNaN(v) || v < 0 || v > 100))
                result.AddError("--soc-init must be a percentage between 0 and 100 (got " + v.ToString(CultureInfo.InvariantCulture) + ")");
        });
        var offset = new Option<int>("--current-offset-mA")
        {
            Description = "Adds this offset (mA, + = charging) to the current the firmware measures, to test the estimator against a sensor offset.",
            HelpName = "N",
        };
        var inject = new Option<InjectionSpec[]>("--inject")
        {
            Description = InjectionSpec.GrammarHelp,
            HelpName = "SPEC",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseInjections,
        };
        var stopAfter = new Option<long?>("--stop-after")
        {
            Description = "Replays only the first part of each trace: TIME with unit ms, s, min or h (e.g. 10min).",
            HelpName = "TIME",
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                try { return InjectionSpec.ParseDuration(text); }
                catch (FormatException e) { r.AddError("--stop-after: " + e.Message); return null; }
            },
        };
        var failOn = new Option<string?>("--fail-on")
        {
            Description = "Exit with code 3 when any trace reaches this protection level or higher: warning, alarm or fault (for CI).",
            HelpName = "LEVEL",
        };
        failOn.AcceptOnlyFromAmong("warning", "alarm", "fault");
        var json = new Option<string?>("--json")
        {
            Description = "Writes the JSON summary here (one object for one trace, an array for several).",
            HelpName = "FILE",
        };
        var csv = new Option<string?>("--csv")
        {
            Description = "Writes one row per 100 ms tick here (several traces: FILE's name gets '.<trace>' before the extension).",
            HelpName = "FILE",
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Report folder (report.md, PNG plots, summary.json).",
            HelpName = "DIR",
            DefaultValueFactory = _ => ReplayCli.DefaultReportDirectory,
        };

        var command = new Command("replay", "Replays trace files through the emulated AFE, the real driver and the firmware, and reports what the BMS did.")
        {
            traces, afe, chemistry, socInit, offset, inject, stopAfter, failOn, json, csv, outDir,
        };
        command.SetAction(parse =>
        {
            double? socPct = parse.GetValue(socInit);
            var settings = new ReplaySettings
            {
                Afe = parse.GetValue(afe),
                Chemistry = parse.GetValue(chemistry),
                SocInit_pcm = socPct is double p ? (int)Math.Round(p * 1000) : null,
                CurrentOffset_mA = parse.GetValue(offset),
                Injections = parse.GetValue(inject) ?? Array.Empty<InjectionSpec>(),
                StopAfter_ms = parse.GetValue(stopAfter),
            };
            Bms.Firmware.Events.ProtectionLevel? failLevel = parse.GetValue(failOn) switch
            {
                "warning" => Bms.Firmware.Events.ProtectionLevel.Warning,
                "alarm" => Bms.Firmware.Events.ProtectionLevel.Alarm,
                "fault" => Bms.Firmware.Events.ProtectionLevel.Fault,
                _ => null,
            };
            return ReplayRunner.Run(parse.GetValue(traces)!, settings, parse.GetValue(json), parse.GetValue(csv),
                parse.GetValue(outDir)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, failLevel);
        });
        return command;
    }

    private static InjectionSpec[] ParseInjections(ArgumentResult result)
    {
        var specs = new List<InjectionSpec>();
        foreach (var token in result.Tokens)
        {
            try
            {
                specs.Add(InjectionSpec.Parse(token.Value));
            }
            catch (FormatException e)
            {
                result.AddError(e.Message);
            }
        }
        return specs.ToArray();
    }
}
