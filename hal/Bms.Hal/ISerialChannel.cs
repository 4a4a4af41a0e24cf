namespace Bms.Hal
{
    /// <summary>
    /// A byte stream to a peer (UART on the device, a pipe or serial port on the host), used by the simulation
    /// link. Reads never block: they return what has arrived, up to <c>count</c> bytes.
    /// </summary>
    public interface ISerialChannel
    {
        /// <summary>Copies up to <paramref name="count"/> received bytes; returns how many (0 when none waiting).</summary>
        int Read(byte[] buffer, int offset, int count);

        /// <summary>Sends bytes.</summary>
        void Write(byte[] buffer, int offset, int count);
    }
}
