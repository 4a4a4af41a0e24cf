namespace Bms.Replay.Engine;

/// <summary>
/// State-of-charge error of the firmware against the trace's reference, sampled at the trace rows that
/// carry a reference. Errors are firmware minus reference, in percentage points.
/// </summary>
public sealed class SocErrorStatistics
{
    /// <summary>Errors before this time count for the overall figures but not for the "after settling" one.</summary>
    public const long SettlingTime_ms = 600_000;

    private double _sumSquares;

    public long Count { get; private set; }

    /// <summary>Reference rows passed while the firmware had no estimate yet (it reports -1 then); not in the figures.</summary>
    public long NotStarted { get; set; }
    public double MaxAbsError_pct { get; private set; }
    public double MaxAbsErrorAfterSettling_pct { get; private set; }
    public double FinalError_pct { get; private set; }
    public double Rmse_pct => Count == 0 ? 0 : Math.Sqrt(_sumSquares / Count);

    /// <param name="time_ms">Time since the trace start.</param>
    public void Add(long time_ms, int reference_pcm, int firmware_pcm)
    {
        double error = (firmware_pcm - reference_pcm) / 1000.0;
        Count++;
        _sumSquares += error * error;
        double abs = Math.Abs(error);
        if (abs > MaxAbsError_pct) MaxAbsError_pct = abs;
        if (time_ms >= SettlingTime_ms && abs > MaxAbsErrorAfterSettling_pct) MaxAbsErrorAfterSettling_pct = abs;
        FinalError_pct = error;
    }
}
