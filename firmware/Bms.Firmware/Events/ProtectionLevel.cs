namespace Bms.Firmware.Events
{
    /// <summary>
    /// Severity, ordered. Warning: reduce current limits. Alarm: request stop / ramp down. Fault: open the
    /// contactors, latched until an explicit reset when safe.
    /// </summary>
    public enum ProtectionLevel
    {
        /// <summary>Normal.</summary>
        None = 0,
        /// <summary>Reduce current limits.</summary>
        Warning = 1,
        /// <summary>Request stop / ramp down.</summary>
        Alarm = 2,
        /// <summary>Open contactors; latched.</summary>
        Fault = 3,
    }
}
