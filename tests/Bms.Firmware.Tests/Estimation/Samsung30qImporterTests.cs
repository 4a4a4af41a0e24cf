using Bms.Firmware.Tests.Chemistry;
using Bms.Traces;
using Bms.Traces.Import;

namespace Bms.Firmware.Tests.Estimation;

public class Samsung30qImporterTests
{
    private static string Excerpt(string name) => Path.Combine(TestData.RepoRoot(), "tests", "Bms.Firmware.Tests", "Data", "samsung30q", name);

    [Fact]
    public void Constant_current_file_with_bom_becomes_one_row_per_source_row_in_integer_units()
    {
        var trace = Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"));
        int sourceRows = File.ReadAllLines(Excerpt("Q30_S001_4C.csv")).Count(l => l.Trim().Length > 0);
        Assert.Equal(sourceRows, trace.Samples.Count);
        Assert.Equal(1, trace.Cells);
        Assert.Equal(3000, trace.Capacity_mAh);
        Assert.Equal("nmc-graphite", trace.Chemistry);
        // First rows: 0,0.005051,4.1481,...,23.118655 and 1.001783,-11.942,3.7978,...,23.145861
        Assert.Equal(0, trace.Samples[0].Time_ms);
        Assert.Equal(5, trace.Samples[0].Current_mA);
        Assert.Equal(4148, trace.Samples[0].Cell_mV[0]);
        Assert.Equal(231, trace.Samples[0].Temp_dC[0]);
        Assert.Equal(1002, trace.Samples[1].Time_ms);
        Assert.Equal(-11942, trace.Samples[1].Current_mA);
        Assert.Equal(3798, trace.Samples[1].Cell_mV[0]);
        // True SoC: 100 % at the start, 0 at the end of the discharge, falling with the delivered charge.
        Assert.Equal(100000, trace.Samples[0].SocRef_pcm);
        Assert.Equal(0, trace.Samples[^1].SocRef_pcm);
        for (int k = 1; k < trace.Samples.Count; k++) Assert.True(trace.Samples[k].SocRef_pcm <= trace.Samples[k - 1].SocRef_pcm);
    }

    [Fact]
    public void True_soc_is_the_charge_still_to_be_delivered_over_the_total()
    {
        var rec = Samsung30qRecording.Read(Excerpt("Q30_S001_4C.csv"));
        // Independent trapezoid integration of the current column.
        double total = 0, half = 0;
        int mid = rec.Count / 2;
        for (int k = 1; k < rec.Count; k++)
        {
            double q = -0.5 * (rec.Current_A[k] + rec.Current_A[k - 1]) * (rec.Time_s[k] - rec.Time_s[k - 1]);
            total += q;
            if (k <= mid) half += q;
        }
        Assert.Equal(100 * (total - half) / total, rec.TrueSoc_pct[mid], 6);
        Assert.InRange(rec.DischargedCapacity_Ah, 2.85, 2.95); // data/README.md: 4C 2.897 Ah
    }

    [Fact]
    public void Hppc_file_uses_the_cyclers_throughput_and_one_second_rows()
    {
        var trace = Samsung30qImporter.Import(Excerpt("DNN01_HPPC_1C_30amb_first2h30.csv"));
        Assert.Equal(9000, trace.Samples.Count);
        Assert.Equal(1000, trace.Dt_ms);
        Assert.Equal(1000, trace.Samples[1].Time_ms);
        Assert.Equal(2, trace.Samples[0].Line); // header is line 1
        Assert.Equal(27, trace.Samples[0].Current_mA); // 0.02736 A
        Assert.Equal(4175, trace.Samples[0].Cell_mV[0]);
    }

    [Fact]
    public void Series_replicates_the_cell()
    {
        var trace = Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"), 4);
        Assert.Equal(4, trace.Cells);
        Assert.All(trace.Samples, s => Assert.True(s.Cell_mV.All(v => v == s.Cell_mV[0])));
        Assert.Throws<ArgumentOutOfRangeException>(() => Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"), 0));
    }

    [Fact]
    public void Imported_trace_writes_and_reads_back_as_trace_v1()
    {
        string path = Path.Combine(Path.GetTempPath(), "bms-import-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            Samsung30qImporter.ImportToFile(Excerpt("Q30_S001_4C.csv"), path, 2);
            var back = TraceReader.ReadAll(path);
            var direct = Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"), 2);
            Assert.Equal(direct.Samples.Count, back.Samples.Count);
            Assert.Equal(2, back.Cells);
            Assert.Equal(3000, back.Capacity_mAh);
            for (int k = 0; k < back.Samples.Count; k += 97)
            {
                Assert.Equal(direct.Samples[k].Time_ms, back.Samples[k].Time_ms);
                Assert.Equal(direct.Samples[k].Cell_mV[1], back.Samples[k].Cell_mV[1]);
                Assert.Equal(direct.Samples[k].SocRef_pcm, back.Samples[k].SocRef_pcm);
            }
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("current,voltage,temperature,soc\n-1.0,3.9,25.0,100\n-1.0,abc,25.0,99.9\n", 3, "voltage", "not a number")]
    [InlineData("current,voltage,temperature,soc\n-1.0,3.9,25.0,100\n-1.0,3.9,25.0\n", 3, "soc", "expected 4")]
    [InlineData("current,voltage,temperature,soc\n-1.0,3.9,25.0,100\n-1.0,13.9,25.0,99\n", 3, "voltage", "outside")]
    [InlineData("\uFEFF0,0.0,4.1,0,22,0,22\n1,-3.0,4.0,-12,22,0,22\n0.5,-3.0,4.0,-12,22,0,22\n", 3, "time", "backwards")]
    [InlineData("0,0.0,4.1,0,22,0,22\n1,-3.0,4.0,-12,,0,22\n", 2, "surface temperature", "not a number")]
    [InlineData("0,0.0,4.1,0,22,0,22\n1,-3.0,4.0,-12,22,0\n", 2, "ambient temperature", "expected 7")]
    [InlineData("", 1, "(file)", "empty")]
    [InlineData("current,voltage,temperature,soc\n0.5,3.9,25.0,100\n0.5,3.9,25.0,101\n", 0, "current", "never discharges")]
    public void Malformed_input_is_refused_with_file_line_field_and_reason(string content, int line, string field, string reason)
    {
        var e = Assert.Throws<RecordingFormatException>(() => Samsung30qRecording.Read(new StringReader(content), "bad.csv"));
        Assert.Equal("bad.csv", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason);
        Assert.StartsWith("bad.csv:" + line + ":", e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }
}
