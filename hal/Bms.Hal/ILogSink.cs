namespace Bms.Hal
{
    /// <summary>
    /// Where diagnostic text and telemetry go (serial port on the device, console or file on the host).
    /// The byte overload lets the steady-state tick log pre-formatted buffers without allocating.
    /// </summary>
    public interface ILogSink
    {
        /// <summary>Writes one line of text.</summary>
        void WriteLine(string text);

        /// <summary>Writes raw bytes (already formatted or framed).</summary>
        void Write(byte[] buffer, int offset, int count);
    }
}
