using Bms.Traces;

namespace Bms.Tools.Tests.Traces;

public class TraceReaderTests
{
    private const string Good =
        "# bms-trace v1\n" +
        "# cells=4\n" +
        "# temps=2\n" +
        "# capacity_mAh=2960\n" +
        "# chemistry=nmc-graphite\n" +
        "# source=free text, with a comma\n" +
        "time_ms,current_mA,v1_mV,v2_mV,v3_mV,v4_mV,t1_dC,t2_dC,soc_ref_pcm,event\n" +
        "0,-2990,4143,4143,4143,4143,229,229,100000,\n" +
        "1000,-2988,4053,4053,4053,4053,229,229,99972,\n";

    private static Trace Read(string text) => TraceReader.ReadAll(new StringReader(text), "t.csv");

    private static TraceFormatException Refused(string text)
    {
        var error = Assert.Throws<TraceFormatException>(() => Read(text));
        Assert.Equal("t.csv", error.File);
        // a malformed file is refused by the streaming validator too
        Assert.Throws<TraceFormatException>(() => TraceReader.Validate(new StringReader(text), "t.csv"));
        return error;
    }

    [Fact]
    public void Reads_the_design_example()
    {
        var trace = Read(Good);
        Assert.Equal(4, trace.Cells);
        Assert.Equal(2, trace.Temps);
        Assert.Equal(2960, trace.Capacity_mAh);
        Assert.Equal("nmc-graphite", trace.Chemistry);
        Assert.Equal("free text, with a comma", trace.Source);
        Assert.Equal(2, trace.Samples.Count);
        var s = trace.Samples[1];
        Assert.Equal(1000, s.Time_ms);
        Assert.Equal(-2988, s.Current_mA);
        Assert.Equal(new[] { 4053, 4053, 4053, 4053 }, s.Cell_mV);
        Assert.Equal(new[] { 229, 229 }, s.Temp_dC);
        Assert.Equal(99972, s.SocRef_pcm);
        Assert.Null(s.Event);
        Assert.Equal(9, s.Line);
        Assert.True(trace.HasSocReference);
        Assert.Equal(new[] { "cells", "temps", "capacity_mAh", "chemistry", "source" }, trace.Metadata.Select(p => p.Key));
    }

    [Fact]
    public void Columns_are_found_by_name_in_any_order_and_unknown_columns_are_ignored()
    {
        var trace = Read("# bms-trace v1\n# temps=1\n# cells=2\n" +
                         "logger_flags,t1_dC,v2_mV,event,current_mA,v1_mV,time_ms\n" +
                         "xyz,250,3701,short_on,-500,3700,5\n");
        var s = trace.Samples[0];
        Assert.Equal(5, s.Time_ms);
        Assert.Equal(-500, s.Current_mA);
        Assert.Equal(new[] { 3700, 3701 }, s.Cell_mV);
        Assert.Equal(250, s.Temp_dC[0]);
        Assert.Equal("short_on", s.Event);
        Assert.Equal(Trace.Missing, s.SocRef_pcm);
        Assert.False(trace.HasSocReference);
    }

    [Fact]
    public void Empty_fields_are_missing_samples_and_equal_times_and_gaps_are_allowed()
    {
        var trace = Read("# bms-trace v1\n# cells=2\n# temps=1\ntime_ms,current_mA,v1_mV,v2_mV,t1_dC\n" +
                         "0,-100,3700,3701,250\n0,,3700,,\n90000,-100,3690,3691,251\n\n\n");
        Assert.Equal(3, trace.Samples.Count);
        Assert.Equal(Trace.Missing, trace.Samples[1].Current_mA);
        Assert.Equal(Trace.Missing, trace.Samples[1].Cell_mV[1]);
        Assert.Equal(Trace.Missing, trace.Samples[1].Temp_dC[0]);
        Assert.Equal(3700, trace.Samples[1].Cell_mV[0]);
    }

    [Fact]
    public void A_trace_without_temperatures_is_allowed()
    {
        var trace = Read("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(0, trace.Temps);
    }

    [Fact]
    public void Byte_order_mark_and_crlf_line_ends_are_accepted_from_files()
    {
        string path = Path.Combine(Path.GetTempPath(), "bms-bom-" + Guid.NewGuid() + ".csv");
        File.WriteAllText(path, Good.Replace("\n", "\r\n"), new System.Text.UTF8Encoding(true));
        try
        {
            var trace = TraceReader.ReadAll(path);
            Assert.Equal(2, trace.Samples.Count);
            Assert.Equal(Path.GetFileName(path), trace.Name);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Validate_streams_the_file_and_reports_what_it_found()
    {
        var info = TraceReader.Validate(new StringReader(Good), "t.csv");
        Assert.Equal(2, info.Samples);
        Assert.Equal(0, info.FirstTime_ms);
        Assert.Equal(1000, info.LastTime_ms);
        Assert.Equal(1000, info.Duration_ms);
        Assert.Equal(2, info.SocReferenceSamples);
        Assert.Equal(-2990, info.FirstCurrent_mA);
        Assert.Equal(4143, info.FirstCell_mV[3]);
    }

    [Fact]
    public void First_values_skip_leading_missing_samples()
    {
        var info = TraceReader.Validate(new StringReader(
            "# bms-trace v1\n# cells=1\n# temps=1\ntime_ms,current_mA,v1_mV,t1_dC\n0,,,\n10,-5,3600,\n20,-5,3601,300\n"), "t.csv");
        Assert.Equal(-5, info.FirstCurrent_mA);
        Assert.Equal(3600, info.FirstCell_mV[0]);
        Assert.Equal(300, info.FirstTemp_dC[0]);
    }

    // ---------------- every refusal ----------------

    [Fact]
    public void Empty_file_is_refused()
    {
        var e = Refused("");
        Assert.Equal(0, e.Line);
        Assert.Contains("empty", e.Reason);
    }

    [Theory]
    [InlineData("# bms-trace v2\n")]
    [InlineData("#bms-trace v1\n")]
    [InlineData("time_ms,current_mA\n")]
    [InlineData("# BMS-TRACE V1\n")]
    public void Wrong_signature_is_refused_on_line_1(string first)
    {
        var e = Refused(first + "# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(1, e.Line);
        Assert.Contains("# bms-trace v1", e.Reason);
    }

    [Fact]
    public void Trailing_characters_after_the_signature_are_refused()
    {
        var e = Refused("# bms-trace v1  \n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(1, e.Line);
        Assert.Contains("trailing", e.Reason);
    }

    [Fact]
    public void Metadata_without_equals_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# just a comment\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("key=value", e.Reason);
    }

    [Theory]
    [InlineData("# =4")]
    [InlineData("# cell count=4")]
    [InlineData("# c-ells=4")]
    public void Bad_metadata_keys_are_refused(string line)
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\n" + line + "\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("key", e.Reason);
    }

    [Fact]
    public void Repeated_metadata_key_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\n# cells=2\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("repeated", e.Reason);
        Assert.Contains("line 2", e.Reason);
    }

    [Fact]
    public void Missing_cells_is_refused()
    {
        var e = Refused("# bms-trace v1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Contains("'cells' is required", e.Reason);
    }

    [Fact]
    public void Missing_temps_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Contains("'temps' is required", e.Reason);
    }

    [Theory]
    [InlineData("cells=0", 2)]
    [InlineData("cells=-1", 2)]
    [InlineData("cells=four", 2)]
    [InlineData("cells=4.0", 2)]
    [InlineData("cells=5000", 2)]
    public void Bad_cells_value_is_refused(string meta, int line)
    {
        var e = Refused("# bms-trace v1\n# " + meta + "\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(line, e.Line);
        Assert.Contains("'cells' must be an integer", e.Reason);
    }

    [Theory]
    [InlineData("temps=-1", "temps")]
    [InlineData("capacity_mAh=0", "capacity_mAh")]
    [InlineData("capacity_mAh=2.9", "capacity_mAh")]
    [InlineData("dt_ms=0", "dt_ms")]
    public void Bad_optional_integer_metadata_is_refused(string meta, string key)
    {
        string text = "# bms-trace v1\n# cells=1\n" + (key == "temps" ? "" : "# temps=0\n") + "# " + meta + "\ntime_ms,current_mA,v1_mV\n0,0,3700\n";
        var e = Refused(text);
        Assert.Contains("'" + key + "' must be an integer", e.Reason);
    }

    [Fact]
    public void Empty_chemistry_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\n# chemistry=\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("chemistry", e.Reason);
    }

    [Fact]
    public void Blank_line_in_the_metadata_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n");
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void No_header_row_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\n");
        Assert.Contains("no column header", e.Reason);
    }

    [Theory]
    [InlineData("current_mA,v1_mV", "time_ms")]
    [InlineData("time_ms,v1_mV", "current_mA")]
    [InlineData("time_ms,current_mA,v1_mV", "v2_mV")]
    [InlineData("time_ms,current_mA,v1_mV,v2_mV", "t1_dC")]
    public void Missing_required_columns_are_refused(string header, string missing)
    {
        var e = Refused("# bms-trace v1\n# cells=2\n# temps=1\n" + header + "\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("'" + missing + "'", e.Reason);
    }

    [Fact]
    public void Cell_column_beyond_the_declared_count_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV,v2_mV\n0,0,3700,3700\n");
        Assert.Equal(4, e.Line);
        Assert.Equal(4, e.Column);
        Assert.Equal("v2_mV", e.ColumnName);
        Assert.Contains("cells=1", e.Reason);
    }

    [Fact]
    public void Temperature_column_beyond_the_declared_count_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV,t1_dC\n0,0,3700,250\n");
        Assert.Equal(4, e.Column);
        Assert.Contains("temps=0", e.Reason);
    }

    [Fact]
    public void Duplicate_column_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV,current_mA\n0,0,3700,0\n");
        Assert.Equal(4, e.Column);
        Assert.Contains("twice", e.Reason);
    }

    [Fact]
    public void Empty_column_name_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,,v1_mV\n0,0,,3700\n");
        Assert.Equal(3, e.Column);
    }

    [Fact]
    public void Names_that_only_resemble_channels_are_ignored_columns()
    {
        var trace = Read("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV,v01_mV,v1_V,vx_mV,t1_C\n0,0,3700,a,b,c,d\n");
        Assert.Equal(3700, trace.Samples[0].Cell_mV[0]);
    }

    [Theory]
    [InlineData("0,0\n", "2 fields")]
    [InlineData("0,0,3700,1\n", "4 fields")]
    public void Wrong_field_count_is_refused(string row, string found)
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n" + row);
        Assert.Equal(6, e.Line);
        Assert.Contains(found, e.Reason);
        Assert.Contains("header has 3", e.Reason);
    }

    [Theory]
    [InlineData("0,0,3.7", 3, "v1_mV")]
    [InlineData("0,1e3,3700", 2, "current_mA")]
    [InlineData("0, 5,3700", 2, "current_mA")]
    [InlineData("0,abc,3700", 2, "current_mA")]
    [InlineData("0.5,0,3700", 1, "time_ms")]
    [InlineData("0,99999999999,3700", 2, "current_mA")]
    public void Non_integers_are_refused_with_line_and_column(string row, int column, string name)
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n" + row + "\n");
        Assert.Equal(5, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal(name, e.ColumnName);
        Assert.Contains("not an integer", e.Reason);
        Assert.StartsWith("t.csv:5:" + column + ": column " + column + " (" + name + ")", e.Message);
    }

    [Fact]
    public void Decimal_values_get_a_hint_about_units()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3.7\n");
        Assert.Contains("unit", e.Reason);
    }

    [Fact]
    public void Missing_time_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n,0,3700\n");
        Assert.Equal(1, e.Column);
        Assert.Contains("required", e.Reason);
    }

    [Fact]
    public void Negative_time_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n-10,0,3700\n");
        Assert.Contains("negative", e.Reason);
    }

    [Fact]
    public void Decreasing_time_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n100,0,3700\n99,0,3700\n");
        Assert.Equal(7, e.Line);
        Assert.Equal(1, e.Column);
        Assert.Contains("backwards", e.Reason);
    }

    [Theory]
    [InlineData("0,0,-1,250", 3)]
    [InlineData("0,0,10001,250", 3)]
    [InlineData("0,0,3700,-1001", 4)]
    [InlineData("0,0,3700,15001", 4)]
    public void Implausible_voltages_and_temperatures_are_refused(string row, int column)
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=1\ntime_ms,current_mA,v1_mV,t1_dC\n" + row + "\n");
        Assert.Equal(column, e.Column);
        Assert.Contains("outside", e.Reason);
    }

    [Fact]
    public void Quoted_event_tag_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV,event\n0,0,3700,\"x\"\n");
        Assert.Equal(4, e.Column);
        Assert.Equal("event", e.ColumnName);
    }

    [Fact]
    public void Metadata_after_the_header_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n# late=1\n1,0,3700\n");
        Assert.Equal(6, e.Line);
    }

    [Fact]
    public void Blank_line_between_rows_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n\n1,0,3700\n");
        Assert.Equal(6, e.Line);
        Assert.Contains("empty line", e.Reason);
    }

    [Fact]
    public void Trace_without_rows_is_refused()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n");
        Assert.Contains("no data rows", e.Reason);
    }

    [Theory]
    [InlineData("0,,3700,250\n10,,3700,250\n", "current_mA")]
    [InlineData("0,0,,250\n10,0,,250\n", "v1_mV")]
    [InlineData("0,0,3700,\n", "t1_dC")]
    public void Channel_that_never_has_a_value_is_refused(string rows, string column)
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=1\ntime_ms,current_mA,v1_mV,t1_dC\n" + rows);
        Assert.Equal(4, e.Line);
        Assert.Equal(column, e.ColumnName);
        Assert.Contains("no row has a value", e.Reason);
    }

    [Fact]
    public void Error_late_in_a_file_is_found_by_validation_before_any_use()
    {
        var text = new System.Text.StringBuilder("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n");
        for (int i = 0; i < 10_000; i++) text.Append(i).Append(",-100,3700\n");
        text.Append("10000,-100,oops\n");
        var e = Assert.Throws<TraceFormatException>(() => TraceReader.Validate(new StringReader(text.ToString()), "long.csv"));
        Assert.Equal(10_005, e.Line);
        Assert.Equal("long.csv:10005:3: column 3 (v1_mV): 'oops' is not an integer", e.Message);
    }

    [Fact]
    public void Message_of_a_missing_file_level_problem_has_no_column()
    {
        var e = Refused("# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0\n");
        Assert.Equal(0, e.Column);
        Assert.StartsWith("t.csv:5: row has 2 fields", e.Message);
    }
}
