namespace Bms.Firmware.Events
{
    /// <summary>
    /// Receives every event the firmware raises or clears, as it happens (fault log, telemetry, and the
    /// replay harness's report). Called from the tick: implementations must be quick and must not throw.
    /// </summary>
    public interface IBmsEventSink
    {
        /// <summary>
        /// <paramref name="cell"/> is the 0-based cell (or sensor, for temperature codes) index, -1 when the
        /// event is not about one cell. <paramref name="active"/> is true when raised, false when cleared.
        /// </summary>
        void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active);
    }
}
