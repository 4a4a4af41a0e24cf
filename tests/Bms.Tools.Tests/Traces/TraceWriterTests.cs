using Bms.Traces;

namespace Bms.Tools.Tests.Traces;

public class TraceWriterTests
{
    private static Trace Sample()
    {
        var trace = new Trace(3, 1) { Capacity_mAh = 3000, Chemistry = "lfp", Source = "unit test, synthetic", Dt_ms = 1000 };
        trace.Metadata.Add(new KeyValuePair<string, string>("cell_model", "test-cell"));
        for (int i = 0; i < 5; i++)
        {
            var s = new TraceSample(3, 1) { Time_ms = i * 1000L, Current_mA = -1500 + i };
            for (int c = 0; c < 3; c++) s.Cell_mV[c] = 3300 - i - c;
            s.Temp_dC[0] = 250 + i;
            s.SocRef_pcm = i == 2 ? Trace.Missing : 90000 - i * 10;
            s.Event = i == 3 ? "short_on" : null;
            trace.Samples.Add(s);
        }
        trace.Samples[1].Cell_mV[2] = Trace.Missing;
        trace.Samples[4].Current_mA = Trace.Missing;
        return trace;
    }

    [Fact]
    public void Round_trip_keeps_every_value_missing_sample_and_metadata()
    {
        var original = Sample();
        var text = new StringWriter();
        TraceWriter.Write(original, text);
        var back = TraceReader.ReadAll(new StringReader(text.ToString()), "rt.csv");

        Assert.Equal(original.Cells, back.Cells);
        Assert.Equal(original.Temps, back.Temps);
        Assert.Equal(original.Capacity_mAh, back.Capacity_mAh);
        Assert.Equal(original.Chemistry, back.Chemistry);
        Assert.Equal(original.Source, back.Source);
        Assert.Equal(original.Dt_ms, back.Dt_ms);
        Assert.Contains(back.Metadata, p => p.Key == "cell_model" && p.Value == "test-cell");
        Assert.Equal(original.Samples.Count, back.Samples.Count);
        for (int i = 0; i < original.Samples.Count; i++)
        {
            var a = original.Samples[i];
            var b = back.Samples[i];
            Assert.Equal(a.Time_ms, b.Time_ms);
            Assert.Equal(a.Current_mA, b.Current_mA);
            Assert.Equal(a.Cell_mV, b.Cell_mV);
            Assert.Equal(a.Temp_dC, b.Temp_dC);
            Assert.Equal(a.SocRef_pcm, b.SocRef_pcm);
            Assert.Equal(a.Event, b.Event);
        }
    }

    [Fact]
    public void Writes_the_design_layout()
    {
        var text = new StringWriter();
        TraceWriter.Write(Sample(), text);
        var lines = text.ToString().Split('\n');
        Assert.Equal("# bms-trace v1", lines[0]);
        Assert.Equal("# cells=3", lines[1]);
        Assert.Equal("# temps=1", lines[2]);
        Assert.Contains("time_ms,current_mA,v1_mV,v2_mV,v3_mV,t1_dC,soc_ref_pcm,event", lines);
        Assert.Contains("1000,-1499,3299,3298,,251,89990,", lines);
    }

    [Fact]
    public void Optional_columns_are_left_out_when_unused()
    {
        var trace = new Trace(1, 0);
        trace.Samples.Add(new TraceSample(1, 0) { Time_ms = 0, Current_mA = 0, Cell_mV = { [0] = 3700 } });
        var text = new StringWriter();
        TraceWriter.Write(trace, text);
        Assert.Contains("\ntime_ms,current_mA,v1_mV\n0,0,3700\n", text.ToString());
    }

    [Fact]
    public void Refuses_time_going_backwards()
    {
        using var w = new TraceWriter(new StringWriter(), new Trace(1, 0), false, false);
        w.Write(new TraceSample(1, 0) { Time_ms = 10 });
        Assert.Throws<ArgumentException>(() => w.Write(new TraceSample(1, 0) { Time_ms = 9 }));
    }

    [Fact]
    public void Refuses_values_the_reader_would_refuse()
    {
        using var w = new TraceWriter(new StringWriter(), new Trace(1, 0), false, true);
        Assert.Throws<ArgumentException>(() => w.Write(new TraceSample(1, 0) { Time_ms = 0, Cell_mV = { [0] = 20_000 } }));
        Assert.Throws<ArgumentException>(() => w.Write(new TraceSample(1, 0) { Time_ms = 0, Event = "a,b" }));
        Assert.Throws<ArgumentException>(() => w.Write(new TraceSample(2, 0)));
    }

    [Fact]
    public void Refuses_bad_metadata()
    {
        var withNewline = new Trace(1, 0) { Source = "two\nlines" };
        Assert.Throws<ArgumentException>(() => new TraceWriter(new StringWriter(), withNewline, false, false));
        var badKey = new Trace(1, 0);
        badKey.Metadata.Add(new KeyValuePair<string, string>("bad key", "x"));
        Assert.Throws<ArgumentException>(() => new TraceWriter(new StringWriter(), badKey, false, false));
    }

    [Fact]
    public void Streams_to_a_file_that_reads_back()
    {
        string path = Path.Combine(Path.GetTempPath(), "bms-writer-" + Guid.NewGuid() + ".csv");
        try
        {
            var header = new Trace(2, 1) { Chemistry = "nmc-graphite" };
            using (var w = TraceWriter.Create(path, header, socReferenceColumn: true, eventColumn: false))
            {
                var s = new TraceSample(2, 1);
                for (int i = 0; i < 1000; i++)
                {
                    s.Time_ms = i * 100L;
                    s.Current_mA = -1000;
                    s.Cell_mV[0] = 3700; s.Cell_mV[1] = 3701;
                    s.Temp_dC[0] = 250;
                    s.SocRef_pcm = 50000 - i;
                    w.Write(s);
                }
            }
            var info = TraceReader.Validate(path);
            Assert.Equal(1000, info.Samples);
            Assert.Equal(99_900, info.LastTime_ms);
            Assert.Equal(1000, info.SocReferenceSamples);
        }
        finally { File.Delete(path); }
    }
}
