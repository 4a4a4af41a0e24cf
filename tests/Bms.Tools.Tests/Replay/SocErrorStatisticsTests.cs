using Bms.Replay.Engine;

namespace Bms.Tools.Tests.Replay;

public class SocErrorStatisticsTests
{
    [Fact]
    public void Rows_before_the_firmware_has_an_estimate_are_counted_apart_not_as_errors()
    {
        var stats = new SocErrorStatistics();
        stats.Add(0, 95_000, -1);
        stats.Add(100, 95_000, -1);
        stats.Add(1_000, 95_000, 94_000);
        stats.Add(700_000, 50_000, 52_000);

        Assert.Equal(2, stats.Unavailable);
        Assert.Equal(2, stats.Count);
        Assert.Equal(2.0, stats.MaxAbsError_pct, 9);
        Assert.Equal(2.0, stats.MaxAbsErrorAfterSettling_pct, 9);
        Assert.Equal(Math.Sqrt((1.0 + 4.0) / 2), stats.Rmse_pct, 9);
        Assert.Equal(2.0, stats.FinalError_pct, 9);
    }
}
