using System.IO.Ports;

namespace Bms.Hal.Nano
{
    /// <summary>Telemetry and log lines on a UART (the ESP32's COM2, an STM32 board's virtual COM port).</summary>
    public sealed class SerialLogSink : ILogSink
    {
        private readonly SerialPort _port;

        /// <summary>Opens <paramref name="portName"/> (e.g. "COM2") at the given baud rate, 8N1.</summary>
        public SerialLogSink(string portName, int baudRate)
        {
            _port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One);
            _port.Open();
        }

        /// <summary>The open port, shared with the simulation link when the board runs without an AFE.</summary>
        public SerialPort Port { get { return _port; } }

        /// <inheritdoc />
        public void WriteLine(string text)
        {
            _port.WriteLine(text);
        }

        /// <inheritdoc />
        public void Write(byte[] buffer, int offset, int count)
        {
            _port.Write(buffer, offset, count);
        }
    }
}
