using Bms.Firmware.Chemistry;
using Bms.Reference;

namespace Bms.Firmware.Tests.Chemistry;

public class ChemistryProfileTests
{
    public static TheoryData<string> Names => new() { "nmc-graphite", "lfp", "lto", "li-metal-ss" };

    [Theory, MemberData(nameof(Names))]
    public void FromName_returns_the_profile_with_that_name(string name)
    {
        var profile = ChemistryProfiles.FromName(name);
        Assert.NotNull(profile);
        Assert.Equal(name, profile!.Name);
        Assert.Same(profile, ChemistryProfiles.FromName(name));
    }

    [Fact]
    public void Unknown_name_gives_null()
    {
        Assert.Null(ChemistryProfiles.FromName("lead-acid"));
        Assert.Null(ChemistryProfiles.FromName(null!));
    }

    [Theory, MemberData(nameof(Names))]
    public void Ocv_and_its_inverse_agree_within_one_table_rounding(string name)
    {
        var p = ChemistryProfiles.FromName(name)!;
        for (int soc = 0; soc <= 100000; soc += 137)
        {
            int ocv = p.OcvFromSoc_mV(soc, 250);
            int back = p.SocFromOcv_pcm(ocv, 250);
            // One mV of OCV is worth 1 mV / slope of SoC; allow that plus rounding.
            int slope = p.OcvSlope_uV_per_pct(soc, 250);
            int tolerance_pcm = (int)(1000L * 1000 * 1000 / Math.Max(1, slope)) + 50; // 1 mV in pcm
            Assert.InRange(back, soc - tolerance_pcm, soc + tolerance_pcm);
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void Ocv_table_lies_inside_the_envelope_and_rises(string name)
    {
        var p = ChemistryProfiles.FromName(name)!;
        int prev = int.MinValue;
        for (int soc = 0; soc <= 100000; soc += 500)
        {
            int ocv = p.OcvFromSoc_mV(soc, 250);
            Assert.True(ocv >= prev);
            prev = ocv;
            Assert.InRange(ocv, p.Envelope.MinCellVoltage_mV - 600, p.Envelope.MaxCellVoltage_mV);
            Assert.True(p.OcvSlope_uV_per_pct(soc, 250) > 0);
        }
        Assert.True(p.Envelope.MinChargeTemperature_dC < p.Envelope.MaxChargeTemperature_dC);
        Assert.True(p.Envelope.MinDischargeTemperature_dC < p.Envelope.MaxDischargeTemperature_dC);
        Assert.True(p.EndOfChargeVoltage_mV <= p.Envelope.MaxCellVoltage_mV);
        Assert.True(p.EndOfDischargeVoltage_mV >= p.Envelope.MinCellVoltage_mV);
    }

    [Theory, MemberData(nameof(Names))]
    public void Resistance_grows_in_the_cold_and_falls_when_warm(string name)
    {
        var p = ChemistryProfiles.FromName(name)!;
        for (int soc = 0; soc <= 100000; soc += 5000)
        {
            int cold = p.SeriesResistance_uOhm(soc, -200), room = p.SeriesResistance_uOhm(soc, 250), hot = p.SeriesResistance_uOhm(soc, 600);
            Assert.True(cold > room, $"{name} soc {soc}: R0 cold {cold} <= room {room}");
            Assert.True(hot < room);
            Assert.True(p.PolarizationResistance_uOhm(soc, 250) >= 0);
            Assert.True(p.PolarizationTimeConstant_ms(soc, 250) > 0);
        }
    }

    [Fact]
    public void Slope_matches_the_finite_difference_of_the_ocv()
    {
        var p = ChemistryProfiles.NmcGraphite;
        // Mid-segment (where the interpolated slope equals the segment slope).
        int soc = 51250;
        int diff_uV = (p.OcvFromSoc_mV(soc + 1250, 250) - p.OcvFromSoc_mV(soc - 1250, 250)) * 1000;
        Assert.InRange(p.OcvSlope_uV_per_pct(soc, 250), diff_uV / 2.5 - 500, diff_uV / 2.5 + 500);
    }

    [Fact]
    public void Nmc_ocv_agrees_with_the_hppc_rest_voltages()
    {
        // Independent check of the C/10-derived table: the voltages at the end of each one-hour HPPC rest.
        string? data = TestData.SharedDataDirectory();
        if (data == null) return; // recordings not available on this machine
        var p = ChemistryProfiles.NmcGraphite;
        var rec = Bms.Traces.Import.Samsung30qRecording.Read(Path.Combine(data, "samsung30q", "DNN01_HPPC_1C_20amb.csv"));
        var points = ProfileBuilder.ExtractHppcPoints(rec);
        Assert.True(points.Count >= 15);
        double sumAbs = 0;
        int n = 0;
        foreach (var pt in points)
        {
            if (pt.Soc_pct < 10) continue;
            int table = p.OcvFromSoc_mV((int)(pt.Soc_pct * 1000), 200);
            double diff = table - pt.RestVoltage_V * 1000;
            Assert.InRange(diff, -40, 40); // two cells differ by up to ±25 mV; the table is their mean
            sumAbs += Math.Abs(diff);
            n++;
        }
        Assert.True(sumAbs / n <= 12, $"mean |table - rest OCV| = {sumAbs / n:F1} mV");
    }
}

public class ChemistryProfileDerivationTests
{
    [Fact]
    public void Nmc_tables_are_exactly_what_the_profile_builder_derives_from_the_recordings()
    {
        string? data = TestData.SharedDataDirectory();
        if (data == null) return; // recordings not available on this machine; the tables stay as committed
        var derived = ProfileBuilder.BuildNmc(data);
        var p = ChemistryProfiles.NmcGraphite;
        Assert.Equal(derived.Capacity_mAh, p.NominalCapacity_mAh);
        Assert.Equal(derived.Ocv_mV.Length, p.OcvPointCount);
        for (int k = 0; k < derived.Ocv_mV.Length; k++) Assert.Equal(derived.Ocv_mV[k], p.OcvPoint_mV(k));
        for (int t = 0; t < ProfileBuilder.Temperatures_C.Length; t++)
        {
            int temp_dC = ProfileBuilder.Temperatures_C[t] * 10;
            for (int k = 0; k < derived.R0_uOhm[t].Length; k++)
            {
                int soc = k * ProfileBuilder.ResistanceStep_pcm;
                Assert.Equal(derived.R0_uOhm[t][k], p.SeriesResistance_uOhm(soc, temp_dC));
                Assert.Equal(derived.R1_uOhm[t][k], p.PolarizationResistance_uOhm(soc, temp_dC));
                Assert.Equal(derived.Tau1_ms[t][k], p.PolarizationTimeConstant_ms(soc, temp_dC));
            }
        }
    }
}

internal static class TestData
{
    /// <summary>shared/data next to the repository (../shared/data from the repo root), or BMS_DATA_DIR.</summary>
    public static string? SharedDataDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("BMS_DATA_DIR");
        if (env != null && Directory.Exists(Path.Combine(env, "samsung30q"))) return env;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BmsFirmware.sln")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(Path.Combine(candidate, "samsung30q")) ? candidate : null;
            }
            dir = dir.Parent;
        }
        return null;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "BmsFirmware.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
